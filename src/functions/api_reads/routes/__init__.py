from functions.api_reads.routes import access, catalog, health, status_pages

ROUTERS = (catalog.router, health.router, access.router, status_pages.router)
