from django.urls import path

from smartapp.adt import views

# The coordinator's review of parked ADT messages (views.py).
urlpatterns = [
    path("referrals/adt-review/", views.review, name="adt-review"),
    path("referrals/adt-review/<int:pk>/match/", views.match, name="adt-review-match"),
    path("referrals/adt-review/<int:pk>/link/", views.link, name="adt-review-link"),
]
