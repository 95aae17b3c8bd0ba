from django.urls import path

from smartapp.referrals import track_views, views

urlpatterns = [
    path("referrals/", views.worklist, name="referrals"),
    path("referrals/export.csv", views.export_csv, name="referrals-export"),
    path("referrals/<int:pk>/", views.detail, name="referral-detail"),
    path("referrals/<int:pk>/outreach/", views.outreach_add, name="referral-outreach"),
    path("referrals/track/<uuid:launch_id>/", track_views.track_follow_up, name="referrals-track"),
]
