"""facilitator session version: logout (and later deactivation, a new password) ends every session

Revision ID: 5e55c0a1d7e2
Revises: c2f9e0252dc4
Create Date: 2026-12-01 10:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '5e55c0a1d7e2'
down_revision = "c2f9e0252dc4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('facilitator', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    with op.batch_alter_table('facilitator', schema=None) as batch_op:
        batch_op.drop_column('session_version')
