from functions.api_reads.routes import access, alerting, catalog, health, status_pages

ROUTERS = (catalog.router, health.router, access.router, alerting.router, status_pages.router)
