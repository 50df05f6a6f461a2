"""Django admin for customer data: searchable, filterable lists, edits that notify the goals
engine, and a CSV upload page per import kind that shows the import's row errors."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from .importing import KINDS, ImportRejected, import_max_bytes
from .models import ArrRecord, Customer, ImportJob, NpsResponse, Qbr, Renewal
from .services import customer_data_changed_on_commit
from .uploads import import_job_create, import_job_progress

# Where each import kind's rows are listed: the page an import goes back to.
KIND_CHANGELISTS = {
    "users": "admin:people_user_changelist",
    "customers": "admin:metrics_customer_changelist",
    "arr": "admin:metrics_arrrecord_changelist",
    "renewals": "admin:metrics_renewal_changelist",
    "nps": "admin:metrics_npsresponse_changelist",
    "qbrs": "admin:metrics_qbr_changelist",
}
TEAM_FILTER = ("customer__csm__membership__team", admin.RelatedOnlyFieldListFilter)


class ImportForm(forms.Form):
    file = forms.FileField(help_text="UTF-8 CSV with a header row.")


def as_cell(value) -> str:
    """A form value as the text an import cell would hold."""
    if value is None:
        return ""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


class CustomerDataForm(forms.ModelForm):
    """An admin edit of customer data follows the import's rules for each column it has (the
    same parsers: amounts, scores, dates not in the future...), so no surface accepts what
    another refuses."""

    import_kind = ""

    def clean(self):
        cleaned = super().clean()
        columns = KINDS[self.import_kind].columns
        for name in self.fields:
            if name in columns and name in cleaned:
                try:
                    columns[name](as_cell(cleaned[name]))
                except ValueError as error:
                    self.add_error(name, str(error))
        return cleaned


def form_for(kind: str) -> type[CustomerDataForm]:
    return type(f"{kind.title()}Form", (CustomerDataForm,), {"import_kind": kind})


class CustomerDataAdmin(admin.ModelAdmin):
    """Saves and deletes tell the goals engine whose books changed, after commit; edits follow
    the import's rules (`CustomerDataForm`)."""

    import_kinds: tuple[str, ...] = ()
    change_list_template = "admin/metrics/change_list.html"

    def get_form(self, request, obj=None, change=False, **kwargs):
        if self.import_kinds:
            kwargs.setdefault("form", form_for(self.import_kinds[0]))
        return super().get_form(request, obj, change=change, **kwargs)

    def owners(self, obj, form=None) -> set[int | None]:
        previous = form.initial.get("customer") if form is not None else None
        owners = {obj.customer.csm_id}
        if previous and previous != obj.customer_id:
            owners.update(Customer.objects.filter(pk=previous).values_list("csm_id", flat=True))
        return owners

    def owners_of_queryset(self, queryset) -> set[int | None]:
        return set(queryset.values_list("customer__csm_id", flat=True).distinct())

    def notify(self, owner_ids) -> None:
        kind = next(iter(self.import_kinds), "customers")
        customer_data_changed_on_commit(owner_ids=owner_ids, kind=kind)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self.notify(self.owners(obj, form))

    def delete_model(self, request, obj):
        owners = self.owners(obj)
        super().delete_model(request, obj)
        self.notify(owners)

    def delete_queryset(self, request, queryset):
        owners = self.owners_of_queryset(queryset)
        super().delete_queryset(request, queryset)
        self.notify(owners)

    def changelist_view(self, request, extra_context=None):
        imports = [
            (kind, reverse("admin:metrics_import", kwargs={"kind": kind}))
            for kind in self.import_kinds
        ]
        return super().changelist_view(request, {**(extra_context or {}), "imports": imports})


class ArrRecordInline(admin.TabularInline):
    model = ArrRecord
    form = form_for("arr")
    extra = 0
    fields = ["effective_date", "arr"]
    ordering = ["-effective_date"]


@admin.register(Customer)
class CustomerAdmin(CustomerDataAdmin):
    import_kinds = ("customers", "users")
    list_display = ["external_id", "name", "csm", "team", "segment", "updated_at"]
    list_filter = ["segment", ("csm__membership__team", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["external_id", "name", "csm__email", "csm__name"]
    list_select_related = ["csm__membership__team"]
    autocomplete_fields = ["csm"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [ArrRecordInline]

    @admin.display(description="Team", ordering="csm__membership__team__name")
    def team(self, customer):
        membership = getattr(customer.csm, "membership", None)
        return membership.team.name if membership else "—"

    def owners(self, obj, form=None):
        # A customer moved to another CSM leaves the old CSM's book too.
        return {obj.csm_id, form.initial.get("csm") if form is not None else None}

    def owners_of_queryset(self, queryset):
        return set(queryset.values_list("csm_id", flat=True).distinct())

    def get_urls(self):
        upload = self.admin_site.admin_view(self.import_view)
        job = self.admin_site.admin_view(self.import_job_view)
        return [
            path("import/<str:kind>/", upload, name="metrics_import"),
            path("import/jobs/<int:job_id>/", job, name="metrics_import_job"),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest, kind: str) -> HttpResponse:
        """Upload one CSV file of a kind. A file of the wrong form (size, encoding, header, CSV
        syntax) is refused here; otherwise it is imported in the background (all or nothing,
        with the import's row errors) and its page shows the progress, then the outcome."""
        if kind not in KINDS:
            raise Http404(f"Unknown import kind {kind!r}.")
        form = ImportForm(request.POST or None, request.FILES or None)
        errors, error_count = [], 0
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                # One byte past the limit is enough for the import to refuse the file.
                data = upload.read(import_max_bytes() + 1)
                job = import_job_create(
                    kind=kind, file_name=upload.name, data=data, by=request.user
                )
            except ImportRejected as rejected:
                errors, error_count = rejected.messages(), len(rejected.errors)
            else:
                return redirect("admin:metrics_import_job", job_id=job.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Import {kind}",
            "kind": kind,
            "columns": list(KINDS[kind].columns),
            "natural_key": KINDS[kind].key,
            "form": form,
            "errors": errors,
            "error_count": error_count,
        }
        return TemplateResponse(request, "admin/metrics/import.html", context)

    def import_job_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        """An uploaded file's import: a live progress bar while it runs (the page polls with
        htmx), then its counts or its row errors."""
        job = ImportJob.objects.defer("data").filter(pk=job_id).first()
        if job is None:
            raise Http404("No such import.")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Import of {job.file_name}",
            "job": job,
            "progress": import_job_progress(job),
            "list_url": reverse(KIND_CHANGELISTS[job.kind]),
            "upload_url": reverse("admin:metrics_import", kwargs={"kind": job.kind}),
        }
        template = "admin/metrics/import_job.html"
        if request.htmx:
            template += "#job_status"
        return TemplateResponse(request, template, context)


@admin.register(ArrRecord)
class ArrRecordAdmin(CustomerDataAdmin):
    import_kinds = ("arr",)
    list_display = ["customer", "effective_date", "arr", "csm", "updated_at"]
    list_filter = [TEAM_FILTER]
    search_fields = ["customer__external_id", "customer__name", "customer__csm__email"]
    list_select_related = ["customer__csm"]
    autocomplete_fields = ["customer"]
    date_hierarchy = "effective_date"

    @admin.display(description="CSM", ordering="customer__csm__email")
    def csm(self, record):
        return record.customer.csm


@admin.register(Renewal)
class RenewalAdmin(CustomerDataAdmin):
    import_kinds = ("renewals",)
    list_display = ["customer", "due_date", "outcome", "arr_before", "arr_after"]
    list_filter = ["outcome", TEAM_FILTER]
    search_fields = ["customer__external_id", "customer__name", "customer__csm__email"]
    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]
    date_hierarchy = "due_date"


@admin.register(NpsResponse)
class NpsResponseAdmin(CustomerDataAdmin):
    import_kinds = ("nps",)
    list_display = ["customer", "respondent", "responded_at", "score", "comment"]
    list_filter = ["score", TEAM_FILTER]
    search_fields = ["customer__external_id", "customer__name", "respondent", "comment"]
    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]
    date_hierarchy = "responded_at"


@admin.register(Qbr)
class QbrAdmin(CustomerDataAdmin):
    import_kinds = ("qbrs",)
    list_display = ["customer", "scheduled_date", "completed_at"]
    list_filter = [("completed_at", admin.EmptyFieldListFilter), TEAM_FILTER]
    search_fields = ["customer__external_id", "customer__name", "customer__csm__email"]
    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]
    date_hierarchy = "scheduled_date"
