from functions.api_mutations.routes import access, alerting, catalog, checks, heartbeats, status_pages

ROUTERS = (
    catalog.router,
    checks.router,
    access.router,
    alerting.router,
    heartbeats.router,
    status_pages.router,
)
