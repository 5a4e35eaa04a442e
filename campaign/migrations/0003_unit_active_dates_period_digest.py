"""Units scored only in the months they are active; a tamper-evident digest per published month."""
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("campaign", "0002_inspectionpoint_search_text")]

    operations = [
        migrations.AddField(
            model_name="unit",
            name="active_from",
            field=models.DateField(blank=True, help_text="自该日所在月份起参加月度考核；留空表示一直参加", null=True, verbose_name="启用日期"),
        ),
        migrations.AddField(
            model_name="unit",
            name="active_until",
            field=models.DateField(blank=True, help_text="参加月度考核到该日所在月份为止；留空表示一直参加", null=True, verbose_name="停用日期"),
        ),
        migrations.AddConstraint(
            model_name="unit",
            constraint=models.CheckConstraint(
                condition=models.Q(("active_from__isnull", True), ("active_until__isnull", True), ("active_until__gte", models.F("active_from")), _connector="OR"),
                name="unit_active_until_after_from",
                violation_error_message="停用日期不能早于启用日期。",
            ),
        ),
        migrations.AddField(
            model_name="assessmentperiod",
            name="digest",
            field=models.CharField(blank=True, editable=False, max_length=64, verbose_name="快照摘要（SHA-256）"),
        ),
        migrations.AddField(
            model_name="assessmentperiod",
            name="digest_previous",
            field=models.CharField(blank=True, editable=False, max_length=64, verbose_name="上一发布月份摘要"),
        ),
    ]
