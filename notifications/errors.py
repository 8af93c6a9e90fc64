"""The notifications app's refusals, each with a stable code (docs/architecture.md,
"Errors")."""

from django.utils.translation import gettext_lazy as _

from core.exceptions import ApplicationError, NotFoundError


class UnknownMessageError(NotFoundError):
    code = "unknown_message"
    default_message = _("No message with this id was sent.")


class TemplateMissingError(ApplicationError):
    """A programming or configuration error: head office deleted every version of a
    kind, or none is in force yet on the recipient's day."""

    code = "message_template_missing"
    default_message = _("No message template of this kind is in force.")
