"""A partial (organisation, id) index on active requests: an organisation's open list without a full scan."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0003_queue_indexes'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('status__in', ('assessed', 'assigned', 'in_progress', 'new', 'waiting_customer', 'waiting_third_party'))), fields=['organisation', '-id'], name='ticket_active_org_idx'),
        ),
    ]
