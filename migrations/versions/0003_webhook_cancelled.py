"""webhook deliveries may be cancelled: an alert acknowledged or resolved before its page went out

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint(op.f('ck_webhook_deliveries_status'), 'webhook_deliveries', type_='check')
    op.create_check_constraint(op.f('ck_webhook_deliveries_status'), 'webhook_deliveries',
                               "status in ('pending', 'delivered', 'failed', 'cancelled')")


def downgrade() -> None:
    op.execute("update webhook_deliveries set status = 'failed' where status = 'cancelled'")
    op.drop_constraint(op.f('ck_webhook_deliveries_status'), 'webhook_deliveries', type_='check')
    op.create_check_constraint(op.f('ck_webhook_deliveries_status'), 'webhook_deliveries',
                               "status in ('pending', 'delivered', 'failed')")
