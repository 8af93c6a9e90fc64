from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.models import Province, Regency

admin.site.site_header = _("Perisai administration")
admin.site.site_title = _("Perisai")
admin.site.index_title = _("Administration")


class RegencyInline(admin.TabularInline):
    model = Regency
    extra = 0
    fields = ("code", "name")
    show_change_link = True


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")
    inlines = [RegencyInline]

    def get_readonly_fields(
        self, request: HttpRequest, obj: Province | None = None
    ) -> tuple[str, ...]:
        # The code is the key NIKs and regencies are built from: fixed once created.
        return ("code",) if obj else ()

    def has_delete_permission(self, request: HttpRequest, obj: Province | None = None) -> bool:
        return False


@admin.register(Regency)
class RegencyAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "province")
    list_filter = ("province",)
    search_fields = ("code", "name")
    list_select_related = ("province",)
    autocomplete_fields = ("province",)

    def get_readonly_fields(
        self, request: HttpRequest, obj: Regency | None = None
    ) -> tuple[str, ...]:
        return ("code", "province") if obj else ()
