# The coordinator's review of parked ADT messages (views.py).
urlpatterns: list = []
