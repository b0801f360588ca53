from ninja import Router

inbox_router = Router()
mail_router = Router()
