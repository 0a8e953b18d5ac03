"""Flask plumbing shared by the three APIs."""

from shared.web.app import ServiceApi, create_service_app
from shared.web.problems import problem

__all__ = ["ServiceApi", "create_service_app", "problem"]
