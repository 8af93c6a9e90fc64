from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.audit import audited
from core.models import Province, Regency, TimeStampedModel
from partners import rules


class PartnerKind(models.TextChoices):
    PTSP = "ptsp", _("PTSP office (one-stop permit service)")
    PATEN = "paten", _("PATEN office (kecamatan)")
    PAYMENT_CHANNEL = "payment_channel", _("Payment channel")
    SMS_GATEWAY = "sms_gateway", _("SMS/WhatsApp gateway")


PERMIT_OFFICE_KINDS = frozenset({PartnerKind.PTSP, PartnerKind.PATEN})
# Partners that call signed webhooks, and so hold signing secrets: payment channels
# (payments) and message gateways (delivery receipts and replies).
SIGNING_KINDS = frozenset({PartnerKind.PAYMENT_CHANNEL, PartnerKind.SMS_GATEWAY})
# Named once: the service tells a repeated application from other refusals by it.
PERMIT_CHECK_APPLICATION_UNIQUE = "permit_check_office_application_unique"
SNAP_EXTERNAL_ID_UNIQUE = "snap_external_id_per_day_unique"


@audited()
class Partner(TimeStampedModel):
    """An organisation that calls the partner API: a permit office, which may check
    companies in its jurisdiction, or a payment channel (national)."""

    Kind = PartnerKind

    code = models.CharField(
        _("code"),
        max_length=30,
        unique=True,
        validators=[
            RegexValidator(
                r"^[A-Z0-9]+(-[A-Z0-9]+)*$",
                _("Capital letters, digits and hyphens, e.g. PTSP-7471."),
            )
        ],
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=PartnerKind.choices)
    jurisdiction_provinces = models.ManyToManyField(
        Province, blank=True, related_name="+", verbose_name=_("provinces in its jurisdiction")
    )
    jurisdiction_regencies = models.ManyToManyField(
        Regency, blank=True, related_name="+", verbose_name=_("regencies in its jurisdiction")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=PartnerKind.values), name="partner_kind_known"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_permit_office(self) -> bool:
        return self.kind in PERMIT_OFFICE_KINDS

    @property
    def signs_requests(self) -> bool:
        return self.kind in SIGNING_KINDS


@audited(exclude=["secret_hash"])
class PartnerApiKey(models.Model):
    """``<prefix>.<secret>``: the prefix finds the row, the secret is checked against a
    keyed hash of it. The key itself is shown once, when created, and stored nowhere."""

    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="api_keys", verbose_name=_("partner")
    )
    label = models.CharField(_("label"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(_("secret hash"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.prefix}.…"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class PartnerSigningSecret(models.Model):
    """A payment channel's or message gateway's webhook signing secret, encrypted at
    rest (HMAC needs the secret itself). Several can be live at once, for rotation."""

    encrypted_fields: tuple[str, ...] = ("secret_ciphertext",)

    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="signing_secrets", verbose_name=_("partner")
    )
    label = models.CharField(_("label"), max_length=100, blank=True)
    secret_ciphertext = models.TextField(_("secret (encrypted)"), editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("signing secret")
        verbose_name_plural = _("signing secrets")

    def __str__(self) -> str:
        return f"{self.partner_id} {self.label or self.pk}"


@audited()
class SnapClient(TimeStampedModel):
    """A payment channel's SNAP credentials (DESIGN §9): its ``partnerServiceId`` (the
    first 8 characters of every virtual-account number it collects, digits left-padded
    with spaces), the client key it sends as ``X-CLIENT-KEY`` and ``X-PARTNER-ID``, and
    the RSA public key its access-token requests are signed with. Its client secret
    (HMAC of transaction requests) is the channel's signing secret, rotated like the
    webhook's."""

    partner = models.OneToOneField(
        Partner,
        on_delete=models.PROTECT,
        related_name="snap_client",
        verbose_name=_("payment channel"),
        limit_choices_to={"kind": PartnerKind.PAYMENT_CHANNEL},
    )
    partner_service_id = models.CharField(
        _("partnerServiceId"),
        max_length=8,
        unique=True,
        help_text=_("Up to 8 digits, stored left-padded with spaces, e.g. '   88899'."),
    )
    client_key = models.CharField(
        _("client key"),
        max_length=64,
        unique=True,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9._-]{8,64}$",
                _("8 to 64 letters, digits, dots, hyphens or underscores."),
            )
        ],
    )
    public_key_pem = models.TextField(
        _("public key (PEM)"),
        help_text=_("The channel's RSA public key, 2048 bits or more, in PEM."),
    )

    class Meta:
        ordering = ["partner__code"]
        verbose_name = _("SNAP client")
        verbose_name_plural = _("SNAP clients")

    def __str__(self) -> str:
        return f"{self.partner_id} {self.partner_service_id.strip()}"


class SnapExternalId(models.Model):
    """An ``X-EXTERNAL-ID`` a channel sent, kept to refuse a repeat within the day
    (Asia/Jakarta)."""

    client = models.ForeignKey(
        SnapClient, on_delete=models.CASCADE, related_name="+", verbose_name=_("SNAP client")
    )
    day = models.DateField(_("day"))
    external_id = models.CharField(_("X-EXTERNAL-ID"), max_length=36)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("SNAP external id")
        verbose_name_plural = _("SNAP external ids")
        constraints = [
            models.UniqueConstraint(
                fields=["client", "day", "external_id"], name=SNAP_EXTERNAL_ID_UNIQUE
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.external_id}"


@audited()
class Company(TimeStampedModel):
    """An employer, as last reported to BPJS Ketenagakerjaan (CSV imports)."""

    nib = models.CharField(
        _("NIB"),
        max_length=13,
        unique=True,
        validators=[RegexValidator(r"^[0-9]{13}$", _("A NIB is 13 digits."))],
    )
    npwp = models.CharField(
        _("NPWP"),
        max_length=16,
        blank=True,
        validators=[RegexValidator(r"^[0-9]{16}$", _("An NPWP is stored as 16 digits."))],
    )
    name = models.CharField(_("name"), max_length=200)
    regency = models.ForeignKey(
        Regency, on_delete=models.PROTECT, related_name="+", verbose_name=_("regency or city")
    )
    npp = models.CharField(
        _("NPP (BPJS registration number)"),
        max_length=20,
        blank=True,
        help_text=_("Empty while the company is not registered."),
    )
    reported_workforce = models.PositiveIntegerField(_("reported workforce"))
    enrolled_active = models.PositiveIntegerField(_("enrolled active workers"))
    arrears_months = models.PositiveSmallIntegerField(
        _("months in arrears"), validators=[MinValueValidator(0)]
    )
    source = models.CharField(_("source of the last update"), max_length=200)
    source_updated_at = models.DateTimeField(_("last updated from the source at"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")

    def __str__(self) -> str:
        return f"{self.nib} {self.name}"


class PermitDecision(models.TextChoices):
    # The values are rules.py's, where the decision is taken.
    ELIGIBLE = rules.ELIGIBLE, _("Eligible")
    NOT_ELIGIBLE = rules.NOT_ELIGIBLE, _("Not eligible")
    NOT_REGISTERED = rules.NOT_REGISTERED, _("Not registered")


class PermitCheck(models.Model):
    """One check by a permit office, kept for audit with who asked (office, key, IP),
    what was asked and what was answered."""

    Decision = PermitDecision

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="permit_checks", verbose_name=_("office")
    )
    api_key = models.ForeignKey(
        PartnerApiKey, on_delete=models.PROTECT, related_name="+", verbose_name=_("API key")
    )
    client_ip = models.GenericIPAddressField(_("client IP"))
    application_ref = models.CharField(_("application reference"), max_length=100)
    permit_type = models.CharField(_("permit type"), max_length=100)
    nib = models.CharField(_("NIB"), max_length=13)
    company = models.ForeignKey(
        Company,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="permit_checks",
        verbose_name=_("company"),
    )
    decision = models.CharField(_("decision"), max_length=20, choices=PermitDecision.choices)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    request_body = models.JSONField(_("request"))
    response_body = models.TextField(_("answer"))
    checked_at = models.DateTimeField(_("checked at"))
    valid_until = models.DateTimeField(_("valid until"))

    class Meta:
        ordering = ["-checked_at", "-id"]
        verbose_name = _("permit check")
        verbose_name_plural = _("permit checks")
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "application_ref"], name=PERMIT_CHECK_APPLICATION_UNIQUE
            ),
            models.CheckConstraint(
                condition=models.Q(decision__in=PermitDecision.values),
                name="permit_check_decision_known",
            ),
        ]
        indexes = [
            models.Index(fields=["partner", "-checked_at"], name="permit_check_office_recent")
        ]

    def __str__(self) -> str:
        return self.reference


class RefusedRequest(models.Model):
    """A partner request that was refused (bad key, bad signature, wrong amount, unknown
    code, ...). The only trace a refused payment leaves: for support and for spotting
    a misconfigured or hostile client."""

    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="refused_requests",
        verbose_name=_("partner"),
    )
    key_prefix = models.CharField(_("key prefix"), max_length=16, blank=True)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=300)
    status = models.PositiveSmallIntegerField(_("status"))
    code = models.CharField(_("code"), max_length=50)
    client_ip = models.GenericIPAddressField(_("client IP"), null=True, blank=True)
    body = models.TextField(_("body (first 8 KiB)"), blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("refused request")
        verbose_name_plural = _("refused requests")

    def __str__(self) -> str:
        return f"{self.code} {self.path}"
