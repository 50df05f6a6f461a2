"""The API's pagination: page numbers, and a page size the client may choose up to a maximum.

`?page=` must be one number (or `last`): DRF reads `?page=` (blank) as the first page and
`?page=2&page=abc` as its last value; a client that sends either has made a mistake and gets the
404 "Invalid page." of `?page=abc`. `?page_size=` is 1 to MAX_PAGE_SIZE (default PAGE_SIZE); any
other value is a 400 naming it, never silently the default.
"""

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination

MAX_PAGE_SIZE = 200


class StrictPageNumberPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_number(self, request, paginator):
        values = request.query_params.getlist(self.page_query_param)
        if not values:
            return 1
        if len(values) == 1 and values[0] in self.last_page_strings:
            return paginator.num_pages
        if len(values) > 1 or not values[0].isascii() or not values[0].isdigit():
            raise NotFound(self.invalid_page_message)
        return values[0]

    def get_page_size(self, request):
        values = request.query_params.getlist(self.page_size_query_param)
        if not values:
            return self.page_size
        raw = values[0]
        if len(values) > 1 or not (raw.isascii() and raw.isdigit()):
            raise ValidationError({"page_size": [f"A whole number from 1 to {MAX_PAGE_SIZE}."]})
        size = int(raw)
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise ValidationError({"page_size": [f"A whole number from 1 to {MAX_PAGE_SIZE}."]})
        return size

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_PAGE_SIZE,
                    "default": self.page_size,
                }
                parameter["description"] = (
                    f"Results per page, 1 to {MAX_PAGE_SIZE} (default {self.page_size})."
                )
            elif parameter["name"] == self.page_query_param:
                parameter["schema"] = {
                    "oneOf": [
                        {"type": "integer", "minimum": 1},
                        {"type": "string", "enum": ["last"]},
                    ]
                }
        return parameters
