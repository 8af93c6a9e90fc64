from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from agents import selectors, services
from agents.models import Agent
from agents.permissions import IsActiveAgent, agent_of
from core.fields import StrictCharField
from core.schema import ErrorSerializer


class AgentApi(APIView):
    """Base of every agent endpoint: an active agent, checked on every request."""

    permission_classes = [IsActiveAgent]

    @property
    def agent(self) -> Agent:
        agent = agent_of(self.request)
        assert agent is not None  # IsActiveAgent has run  # noqa: S101
        return agent

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # Times in the answers are in the agent's own zone (WIB, WITA or WIT), as the
        # agent reads them, not the server's.
        timezone.activate(self.agent.branch.zone)

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        timezone.deactivate()
        return super().finalize_response(request, response, *args, **kwargs)


def _validated(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class TokenPairOutputSerializer(serializers.Serializer):
    access = StrictCharField()
    refresh = StrictCharField()


class AuthTokenObtainApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        username = StrictCharField(max_length=150, help_text="Agent code or mobile number")
        password = StrictCharField(max_length=128, trim_whitespace=False)

    @extend_schema(
        operation_id="auth_token_obtain",
        description="Sign in with agent code or mobile number and password.",
        request=InputSerializer,
        responses={
            200: TokenPairOutputSerializer,
            401: OpenApiResponse(
                ErrorSerializer, description="not_authenticated: wrong username or password"
            ),
            403: OpenApiResponse(ErrorSerializer, description="agent_not_active"),
            503: OpenApiResponse(
                ErrorSerializer,
                description="unavailable: the sign-in attempt counter cannot be reached",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = _validated(self.InputSerializer, request.data)
        pair = services.auth_token_obtain(
            username=data["username"],
            password=data["password"],
            client_ip=BaseThrottle().get_ident(request),
        )
        return Response({"access": pair.access, "refresh": pair.refresh})


class AuthTokenRefreshApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        refresh = StrictCharField()

    @extend_schema(
        operation_id="auth_token_refresh",
        description="A new access token and a new refresh token; the one sent is revoked.",
        request=InputSerializer,
        responses={
            200: TokenPairOutputSerializer,
            401: OpenApiResponse(
                ErrorSerializer, description="not_authenticated: expired or revoked"
            ),
            403: OpenApiResponse(ErrorSerializer, description="agent_not_active"),
        },
    )
    def post(self, request: Request) -> Response:
        data = _validated(self.InputSerializer, request.data)
        pair = services.auth_token_refresh(refresh=data["refresh"])
        return Response({"access": pair.access, "refresh": pair.refresh})


class AuthLogoutApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        refresh = StrictCharField()

    @extend_schema(
        operation_id="auth_logout",
        description="Revokes the refresh token. Idempotent.",
        request=InputSerializer,
        responses={
            204: OpenApiResponse(description="Signed out"),
            401: OpenApiResponse(
                ErrorSerializer, description="not_authenticated: a forged or expired token"
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = _validated(self.InputSerializer, request.data)
        services.auth_logout(refresh=data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class AgentMeApi(AgentApi):
    class OutputSerializer(serializers.Serializer):
        class BranchSerializer(serializers.Serializer):
            code = StrictCharField()
            name = StrictCharField()
            time_zone = StrictCharField()
            region = StrictCharField(source="region.code")

        class KantorPerisaiSerializer(serializers.Serializer):
            code = StrictCharField()
            name = StrictCharField()

        class MonthSerializer(serializers.Serializer):
            period = StrictCharField(help_text="YYYY-MM in the branch's time zone")
            registrations = serializers.IntegerField()
            activations = serializers.IntegerField()
            contributions = serializers.IntegerField(help_text="Rupiah")
            fee = serializers.IntegerField(help_text="Rupiah")

        class RecruitsSerializer(serializers.Serializer):
            class RetentionSerializer(serializers.Serializer):
                months = serializers.IntegerField(help_text="3, 6 or 12")
                registered = serializers.IntegerField(
                    help_text="Recruits of the cohorts (months of registration) whose figure "
                    "at this many months is known: that day has passed for all of them."
                )
                active = serializers.IntegerField(
                    help_text="Of them, active this many months after their registration."
                )
                pct = serializers.DecimalField(
                    max_digits=4, decimal_places=1, allow_null=True, coerce_to_string=False
                )

            active = serializers.IntegerField(help_text="Recruits active today.")
            retention = RetentionSerializer(many=True)
            retention_computed_at = serializers.DateTimeField(
                allow_null=True, help_text="When the retention figures were last computed."
            )
            next_period = StrictCharField(help_text="YYYY-MM: next month, in the branch's zone")
            expected_commission_next_month = serializers.IntegerField(
                allow_null=True,
                help_text="Rupiah: the commission if every active recruit pays one month next "
                "month; null when no fee scheme is in force then.",
            )

        code = StrictCharField()
        full_name = StrictCharField()
        status = StrictCharField()
        phone = StrictCharField()
        nik_masked = StrictCharField()
        bank = StrictCharField()
        bank_account_masked = StrictCharField()
        branch = BranchSerializer()
        kantor_perisai = KantorPerisaiSerializer(allow_null=True)
        activated_at = serializers.DateTimeField(allow_null=True)
        month = serializers.SerializerMethodField()
        recruits = serializers.SerializerMethodField()

        @extend_schema_field(MonthSerializer)
        def get_month(self, agent: Agent) -> dict[str, Any]:
            return self.MonthSerializer(self.context["month"]).data

        @extend_schema_field(RecruitsSerializer(allow_null=True))
        def get_recruits(self, agent: Agent) -> dict[str, Any] | None:
            """Null when no app provides the recruits' figures."""
            recruits = self.context["month"].get("recruits")
            return None if recruits is None else self.RecruitsSerializer(recruits).data

    @extend_schema(
        operation_id="agent_me",
        description=(
            "The signed-in agent's profile, this month's figures and their recruits': active "
            "today, retention at 3, 6 and 12 months, and the commission expected next month."
        ),
        responses=OutputSerializer,
    )
    def get(self, request: Request) -> Response:
        agent = selectors.agent_profile(agent_id=self.agent.pk)
        month = selectors.agent_month_figures(agent=agent)
        return Response(self.OutputSerializer(agent, context={"month": month}).data)
