from functions.api_reads.routes import access, catalog, health

ROUTERS = (catalog.router, health.router, access.router)
