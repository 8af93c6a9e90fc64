from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class AgentJWTScheme(SimpleJWTScheme):
    """Documents agents.authentication.JWTAuthentication as the bearer JWT it is."""

    target_class = "agents.authentication.JWTAuthentication"
