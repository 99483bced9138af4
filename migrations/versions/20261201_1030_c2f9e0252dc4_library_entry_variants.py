"""library entry variants per formula; former core values of a formula

Each formula's grid prints a library entry in its own way (spelling, statement, channels); a
variant row keeps that text so a card on a board of that formula takes it. Existing entries get
their variants when the seed is loaded again (`workshop seed`).

Revision ID: c2f9e0252dc4
Revises: 83a92b20fb25
Create Date: 2026-12-01 10:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'c2f9e0252dc4'
down_revision = '83a92b20fb25'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('library_entry_variant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('formula_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('channels', sa.JSON(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['library_entry.id'], name=op.f('fk_library_entry_variant_entry_id_library_entry'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['formula_id'], ['formula.id'], name=op.f('fk_library_entry_variant_formula_id_formula'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_library_entry_variant')),
    sa.UniqueConstraint('entry_id', 'formula_id', name=op.f('uq_library_entry_variant_entry_id_formula_id'))
    )
    with op.batch_alter_table('library_entry_variant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_library_entry_variant_entry_id'), ['entry_id'], unique=False)
    with op.batch_alter_table('formula', schema=None) as batch_op:
        batch_op.add_column(sa.Column('former_core_values', sa.JSON(), nullable=False, server_default='{}'))


def downgrade():
    with op.batch_alter_table('formula', schema=None) as batch_op:
        batch_op.drop_column('former_core_values')
    with op.batch_alter_table('library_entry_variant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_library_entry_variant_entry_id'))
    op.drop_table('library_entry_variant')
