from functions.satellite_ingest.routes import satellite

ROUTERS = (satellite.router,)
