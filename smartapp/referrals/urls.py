from django.urls import path

from smartapp.referrals import action_views, freshness_views, track_views, views

urlpatterns = [
    path("referrals/", views.worklist, name="referrals"),
    path("referrals/export.csv", views.export_csv, name="referrals-export"),
    path("referrals/actions/", action_views.bulk_action, name="referrals-actions"),
    path("referrals/<int:pk>/", views.detail, name="referral-detail"),
    path("referrals/<int:pk>/outreach/", views.outreach_add, name="referral-outreach"),
    path("referrals/<int:pk>/actions/", action_views.referral_action, name="referral-actions"),
    path("referrals/track/<uuid:launch_id>/", track_views.track_follow_up, name="referrals-track"),
    path("referrals/sync-now/<str:config_name>/", freshness_views.sync_now, name="referrals-sync-now"),
    path("referrals/sync-status/", freshness_views.sync_status, name="referrals-sync-status"),
]
