from functions.api_reads.routes import access, alerting, catalog, health

ROUTERS = (catalog.router, health.router, access.router, alerting.router)
