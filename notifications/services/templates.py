"""Head office's message templates: versions by date, each checked before it is saved."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.db import violated_constraint
from core.exceptions import InvalidInputError
from core.services import model_update
from notifications import rules
from notifications.models import TEMPLATE_VERSION_UNIQUE, MessageTemplate

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# The furthest zone ahead of UTC: a version whose first day has begun there has begun
# for someone, and may already have been used.
_FURTHEST_AHEAD = datetime.timedelta(hours=14)


def template_text_refusal(error: rules.TemplateTextError, kind: str) -> InvalidInputError:
    """The refusal shown at the template's text, in the staff user's language."""
    if error.code == "template_braces":
        message = _(
            "The braces do not match: write a placeholder as {name}, and a brace itself as "
            "{{ or }}."
        )
    elif error.code == "template_placeholder_form":
        message = _(
            "A placeholder is a plain name in braces, e.g. {participant_number}: %(found)s is not."
        ) % {"found": "{" + error.names[0] + "}"}
    else:
        message = _(
            "Unknown placeholders: %(unknown)s. This kind of message may use: %(allowed)s."
        ) % {
            "unknown": ", ".join("{" + name + "}" for name in error.names),
            "allowed": ", ".join("{" + name + "}" for name in sorted(rules.PLACEHOLDERS[kind])),
        }
    return InvalidInputError(fields={"text": [message]})


def _text_checked(kind: str, text: str) -> str:
    text = text.strip()
    if not text:
        raise InvalidInputError(fields={"text": [_("Write the message.")]})
    try:
        rules.template_check(kind, text)
    except rules.TemplateTextError as error:
        raise template_text_refusal(error, kind) from None
    return text


def template_has_begun(template: MessageTemplate) -> bool:
    return template.effective_from <= (timezone.now() + _FURTHEST_AHEAD).date()


@transaction.atomic
def message_template_create(
    *, kind: str, effective_from: datetime.date, text: str, by: User | None = None
) -> MessageTemplate:
    """A new version of ``kind``'s text from ``effective_from`` (today or later)."""
    if kind not in rules.PLACEHOLDERS:
        raise InvalidInputError(fields={"kind": [_("This kind of message has no template.")]})
    text = _text_checked(kind, text)
    if effective_from < timezone.localdate():
        raise InvalidInputError(
            fields={"effective_from": [_("A new version starts today or later.")]}
        )
    template = MessageTemplate(kind=kind, effective_from=effective_from, text=text, created_by=by)
    template.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError as exc:
        if violated_constraint(exc) not in (TEMPLATE_VERSION_UNIQUE, None):
            raise
        raise InvalidInputError(
            fields={"effective_from": [_("A version of this kind already starts on this day.")]}
        ) from None
    return template


@transaction.atomic
def message_template_update(*, template: MessageTemplate, text: str) -> MessageTemplate:
    """Corrects a version that has not begun yet; one in force is never rewritten."""
    locked = MessageTemplate.objects.select_for_update().get(pk=template.pk)
    if template_has_begun(locked):
        raise InvalidInputError(
            _("This version is already in force and cannot be changed: add a new version.")
        )
    model_update(instance=locked, data={"text": _text_checked(locked.kind, text)})
    return locked


@transaction.atomic
def message_template_delete(*, template: MessageTemplate) -> None:
    locked = MessageTemplate.objects.select_for_update().get(pk=template.pk)
    if template_has_begun(locked):
        raise InvalidInputError(
            _("This version is already in force and cannot be changed: add a new version.")
        )
    locked.delete()
