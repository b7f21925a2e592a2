from functions.api_reads.routes import access, alerting, availability, catalog, health, status_pages

ROUTERS = (
    catalog.router,
    health.router,
    availability.router,
    access.router,
    alerting.router,
    status_pages.router,
)
