"""The API's pagination: DRF's page numbers, refusing a page that is not one number.

DRF reads `?page=` (blank) as the first page and `?page=2&page=abc` as its last value; a client
that sends either has made a mistake, and gets the same 404 "Invalid page." as `?page=abc`.
"""

from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination


class StrictPageNumberPagination(PageNumberPagination):
    def get_page_number(self, request, paginator):
        values = request.query_params.getlist(self.page_query_param)
        if not values:
            return 1
        if len(values) == 1 and values[0] in self.last_page_strings:
            return paginator.num_pages
        if len(values) > 1 or not values[0].isdigit():
            raise NotFound(self.invalid_page_message)
        return values[0]
