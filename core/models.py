from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

PROVINCE_CODE_VALIDATOR = RegexValidator(r"^\d{2}$", _("Enter a two-digit province code."))
REGENCY_CODE_VALIDATOR = RegexValidator(r"^\d{4}$", _("Enter a four-digit regency code."))
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
