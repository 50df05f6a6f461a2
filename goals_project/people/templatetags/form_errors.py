"""`{% unshown_errors form as problems %}`: the errors of a form that no visible field shows."""

from django import forms, template

register = template.Library()


@register.simple_tag
def unshown_errors(form: forms.BaseForm | forms.BaseFormSet | None) -> list[str]:
    """The form's own (non-field) errors, then each hidden field's, named by the field's label:
    a browser shows these nowhere else, so templates render them above the form."""
    if form is None:
        return []
    if isinstance(form, forms.BaseFormSet):
        return list(form.non_form_errors())
    problems = list(form.non_field_errors())
    for field in form.hidden_fields():
        problems += [f"{field.label}: {error}" for error in field.errors]
    return problems
