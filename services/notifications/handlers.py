"""Events notifications consumes."""

from services.notifications.contacts import on_client_referred
from services.notifications.nudges import on_client_onboarded

HANDLERS = {
    "client.referred": on_client_referred,
    "client.onboarded": on_client_onboarded,
}
