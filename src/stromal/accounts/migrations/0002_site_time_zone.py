# Every site gets a time zone; existing sites get STROMAL_TIME_ZONE (settings.TIME_ZONE).

from django.db import migrations, models

import stromal.accounts.models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="site",
            name="time_zone",
            field=models.CharField(
                default=stromal.accounts.models.default_time_zone,
                max_length=64,
                validators=[stromal.accounts.models.validate_time_zone],
            ),
        ),
    ]
