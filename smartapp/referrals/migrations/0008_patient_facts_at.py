from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0007_visit_numbers"),
    ]

    operations = [
        migrations.AddField(
            model_name="referral",
            name="patient_facts_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
