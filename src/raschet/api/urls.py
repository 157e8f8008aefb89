from ninja import NinjaAPI

api = NinjaAPI(title="Raschet API", version="1", urls_namespace="api")
