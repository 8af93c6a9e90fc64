from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core import crypto
from core.nik import mask_nik

PROVINCE_CODE_VALIDATOR = RegexValidator(r"^[0-9]{2}$", _("Enter a two-digit province code."))
REGENCY_CODE_VALIDATOR = RegexValidator(r"^[0-9]{4}$", _("Enter a four-digit regency code."))
# In Kemendagri/BPS codes a regency's own two digits are 01-69 for a kabupaten and
# 71-99 for a kota.
FIRST_CITY_SUFFIX = 71


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class Province(models.Model):
    """One of Indonesia's 38 provinces, keyed by its Kemendagri code (the first two
    digits of a NIK)."""

    code = models.CharField(
        _("code"), max_length=2, primary_key=True, validators=[PROVINCE_CODE_VALIDATOR]
    )
    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Regency(models.Model):
    """A kabupaten or kota, keyed by its four-digit code (province code first)."""

    class Kind(models.TextChoices):
        KABUPATEN = "kabupaten", _("Regency (kabupaten)")
        KOTA = "kota", _("City (kota)")

    code = models.CharField(
        _("code"), max_length=4, primary_key=True, validators=[REGENCY_CODE_VALIDATOR]
    )
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="regencies", verbose_name=_("province")
    )
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("regency or city")
        verbose_name_plural = _("regencies and cities")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def kind(self) -> "Regency.Kind":
        return regency_kind(self.code)

    def clean(self) -> None:
        if self.code and self.province_id and not self.code.startswith(self.province_id):
            raise ValidationError(
                {
                    "code": ValidationError(
                        _("A regency code starts with its province's code."),
                        code="regency_province_mismatch",
                    )
                }
            )


def regency_kind(code: str) -> Regency.Kind:
    return Regency.Kind.KOTA if int(code[2:]) >= FIRST_CITY_SUFFIX else Regency.Kind.KABUPATEN


class NikHolder(models.Model):
    """A person identified by a NIK, which is personal data (UU PDP): only its
    ciphertext, a keyed hash for lookups and its last four digits (for masking) are
    stored. Never put the NIK itself in a URL, a log line or an error message."""

    # Columns holding ciphertexts under ENCRYPTION_KEYS (rotate_encryption re-encrypts).
    encrypted_fields: tuple[str, ...] = ("nik_ciphertext",)

    nik_ciphertext = models.TextField(_("NIK (encrypted)"), editable=False)
    nik_digest = models.CharField(_("NIK lookup hash"), max_length=64, editable=False)
    nik_last4 = models.CharField(_("last four digits of the NIK"), max_length=4, editable=False)

    class Meta:
        abstract = True

    def set_nik(self, nik: str) -> None:
        self.nik_ciphertext = crypto.encrypt(nik)
        self.nik_digest = crypto.keyed_digest(nik)
        self.nik_last4 = nik[-4:]

    @property
    def nik_masked(self) -> str:
        return mask_nik(self.nik_last4)


class IdempotencyRecord(models.Model):
    """A client's Idempotency-Key, the hash of the body it came with, and the answer
    given; written in the same transaction as the work it guards. Kept at least
    ``IDEMPOTENCY_KEY_RETENTION_DAYS`` days."""

    scope = models.CharField(_("scope"), max_length=100)
    key = models.CharField(_("key"), max_length=255)
    request_hash = models.CharField(_("request hash"), max_length=64)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True)
    # Text, not JSON: jsonb reorders keys, and a replay must be the first answer byte
    # for byte.
    response_body = models.TextField(_("response body"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_scope_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class PersonalDataLookup(models.Model):
    """Every look-up of a person by NIK (UU PDP: access to personal data is itself
    recorded). Holds the NIK's keyed hash, never the NIK."""

    user = models.ForeignKey(
        "auth.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("staff user")
    )
    nik_digest = models.CharField(_("NIK lookup hash"), max_length=64)
    reason = models.CharField(_("reason"), max_length=300)
    records_found = models.PositiveIntegerField(_("records found"))
    exported = models.BooleanField(_("exported"), default=False)
    looked_up_at = models.DateTimeField(_("looked up at"), auto_now_add=True)

    class Meta:
        ordering = ["-looked_up_at"]
        verbose_name = _("personal data look-up")
        verbose_name_plural = _("personal data look-ups")
        permissions = [("lookup_personal_data", "Can look up and export a person's data by NIK")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.looked_up_at:%Y-%m-%d %H:%M}"
