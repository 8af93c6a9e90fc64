from django.urls import path

from agents import apis

app_name = "agents"

urlpatterns = [
    path("auth/token", apis.AuthTokenObtainApi.as_view(), name="auth-token"),
    path("auth/token/refresh", apis.AuthTokenRefreshApi.as_view(), name="auth-token-refresh"),
    path("auth/logout", apis.AuthLogoutApi.as_view(), name="auth-logout"),
    path("agent/me", apis.AgentMeApi.as_view(), name="agent-me"),
]
