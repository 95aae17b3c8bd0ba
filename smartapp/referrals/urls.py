from django.urls import path

from smartapp.referrals import views

urlpatterns = [path("referrals/", views.worklist, name="referrals")]
