"""initial schema

Revision ID: 83a92b20fb25
Revises: 
Create Date: 2026-11-23 18:00:33.452412
"""
from alembic import op
import sqlalchemy as sa


revision = '83a92b20fb25'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('channel',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel')),
    sa.UniqueConstraint('slug', name=op.f('uq_channel_slug'))
    )
    op.create_table('facilitator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('locale', sa.String(length=5), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_login_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facilitator')),
    sa.UniqueConstraint('email', name=op.f('uq_facilitator_email'))
    )
    op.create_table('formula',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('aliases', sa.JSON(), nullable=False),
    sa.Column('core_values', sa.JSON(), nullable=False),
    sa.Column('customer_role', sa.String(length=40), nullable=False),
    sa.Column('tagline', sa.String(length=200), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('personas', sa.JSON(), nullable=False),
    sa.Column('plate', sa.JSON(), nullable=False),
    sa.Column('journey', sa.JSON(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_formula')),
    sa.UniqueConstraint('slug', name=op.f('uq_formula_slug'))
    )
    op.create_table('library_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('aliases', sa.JSON(), nullable=False),
    sa.Column('statements', sa.JSON(), nullable=False),
    sa.Column('channels', sa.JSON(), nullable=False),
    sa.Column('lane', sa.String(length=20), nullable=False),
    sa.Column('formulas', sa.JSON(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('origin', sa.String(length=10), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['facilitator.id'], name=op.f('fk_library_entry_owner_id_facilitator'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_library_entry'))
    )
    with op.batch_alter_table('library_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_library_entry_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_library_entry_owner_id'), ['owner_id'], unique=False)

    op.create_table('template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('formula_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('with_cards', sa.Boolean(), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['formula_id'], ['formula.id'], name=op.f('fk_template_formula_id_formula'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['facilitator.id'], name=op.f('fk_template_owner_id_facilitator'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_template'))
    )
    with op.batch_alter_table('template', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_template_owner_id'), ['owner_id'], unique=False)

    op.create_table('workshop_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facilitator_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('municipality', sa.String(length=120), nullable=False),
    sa.Column('product', sa.String(length=200), nullable=False),
    sa.Column('formula_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('join_code', sa.String(length=12), nullable=False),
    sa.Column('session_date', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('locked', sa.Boolean(), nullable=False),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('edit_policy', sa.String(length=10), nullable=False),
    sa.Column('focus_phase_id', sa.Integer(), nullable=True),
    sa.Column('focus_lane_id', sa.Integer(), nullable=True),
    sa.Column('tagline', sa.String(length=200), nullable=False),
    sa.Column('personas', sa.JSON(), nullable=False),
    sa.Column('participants_anonymised_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['facilitator_id'], ['facilitator.id'], name=op.f('fk_workshop_session_facilitator_id_facilitator'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['formula_id'], ['formula.id'], name=op.f('fk_workshop_session_formula_id_formula'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workshop_session')),
    sa.UniqueConstraint('join_code', name=op.f('uq_workshop_session_join_code'))
    )
    with op.batch_alter_table('workshop_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workshop_session_facilitator_id'), ['facilitator_id'], unique=False)

    op.create_table('agenda_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('duration_seconds', sa.Integer(), nullable=False),
    sa.Column('instructions', sa.Text(), nullable=False),
    sa.Column('focus_lane_kind', sa.String(length=20), nullable=True),
    sa.Column('focus_phase_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('ends_at', sa.DateTime(), nullable=True),
    sa.Column('remaining_seconds', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['workshop_session.id'], name=op.f('fk_agenda_round_session_id_workshop_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_round'))
    )
    with op.batch_alter_table('agenda_round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agenda_round_session_id'), ['session_id'], unique=False)

    op.create_table('board_event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('op_id', sa.String(length=64), nullable=True),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('actor', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['workshop_session.id'], name=op.f('fk_board_event_session_id_workshop_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_board_event')),
    sa.UniqueConstraint('session_id', 'op_id', name=op.f('uq_board_event_session_id_op_id')),
    sa.UniqueConstraint('session_id', 'seq', name=op.f('uq_board_event_session_id_seq'))
    )
    op.create_table('lane',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['workshop_session.id'], name=op.f('fk_lane_session_id_workshop_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lane'))
    )
    with op.batch_alter_table('lane', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lane_session_id'), ['session_id'], unique=False)

    op.create_table('participant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('display_name', sa.String(length=60), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=True),
    sa.Column('removed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['workshop_session.id'], name=op.f('fk_participant_session_id_workshop_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participant')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_participant_token_hash'))
    )
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participant_session_id'), ['session_id'], unique=False)

    op.create_table('phase',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Float(), nullable=False),
    sa.Column('current_name', sa.String(length=120), nullable=True),
    sa.Column('desired_name', sa.String(length=120), nullable=False),
    sa.Column('statement', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['workshop_session.id'], name=op.f('fk_phase_session_id_workshop_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phase'))
    )
    with op.batch_alter_table('phase', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_phase_session_id'), ['session_id'], unique=False)

    op.create_table('plate_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('section', sa.String(length=20), nullable=False),
    sa.Column('heading', sa.String(length=60), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('position', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['workshop_session.id'], name=op.f('fk_plate_item_session_id_workshop_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plate_item'))
    )
    with op.batch_alter_table('plate_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plate_item_session_id'), ['session_id'], unique=False)

    op.create_table('card',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('phase_id', sa.Integer(), nullable=False),
    sa.Column('lane_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Float(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('statement', sa.String(length=500), nullable=False),
    sa.Column('channels', sa.JSON(), nullable=False),
    sa.Column('author_participant_id', sa.Integer(), nullable=True),
    sa.Column('author_facilitator_id', sa.Integer(), nullable=True),
    sa.Column('author_name', sa.String(length=60), nullable=False),
    sa.Column('library_entry_id', sa.Integer(), nullable=True),
    sa.Column('votes', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_facilitator_id'], ['facilitator.id'], name=op.f('fk_card_author_facilitator_id_facilitator'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['author_participant_id'], ['participant.id'], name=op.f('fk_card_author_participant_id_participant'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lane_id'], ['lane.id'], name=op.f('fk_card_lane_id_lane'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['library_entry_id'], ['library_entry.id'], name=op.f('fk_card_library_entry_id_library_entry'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['phase_id'], ['phase.id'], name=op.f('fk_card_phase_id_phase'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['workshop_session.id'], name=op.f('fk_card_session_id_workshop_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card'))
    )
    with op.batch_alter_table('card', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_author_participant_id'), ['author_participant_id'], unique=False)
        batch_op.create_index('ix_card_cell', ['phase_id', 'lane_id', 'position'], unique=False)
        batch_op.create_index(batch_op.f('ix_card_lane_id'), ['lane_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_card_session_id'), ['session_id'], unique=False)

    op.create_table('vote_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('lane_id', sa.Integer(), nullable=True),
    sa.Column('votes_per_participant', sa.Integer(), nullable=False),
    sa.Column('max_per_card', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('revealed_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['lane_id'], ['lane.id'], name=op.f('fk_vote_round_lane_id_lane'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['workshop_session.id'], name=op.f('fk_vote_round_session_id_workshop_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vote_round'))
    )
    with op.batch_alter_table('vote_round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vote_round_session_id'), ['session_id'], unique=False)

    op.create_table('vote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vote_round_id', sa.Integer(), nullable=False),
    sa.Column('card_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['card_id'], ['card.id'], name=op.f('fk_vote_card_id_card'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_vote_participant_id_participant'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vote_round_id'], ['vote_round.id'], name=op.f('fk_vote_vote_round_id_vote_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vote')),
    sa.UniqueConstraint('vote_round_id', 'card_id', 'participant_id', name=op.f('uq_vote_vote_round_id_card_id_participant_id'))
    )
    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vote_card_id'), ['card_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vote_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vote_vote_round_id'), ['vote_round_id'], unique=False)

    


def downgrade():
    
    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vote_vote_round_id'))
        batch_op.drop_index(batch_op.f('ix_vote_participant_id'))
        batch_op.drop_index(batch_op.f('ix_vote_card_id'))

    op.drop_table('vote')
    with op.batch_alter_table('vote_round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vote_round_session_id'))

    op.drop_table('vote_round')
    with op.batch_alter_table('card', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_session_id'))
        batch_op.drop_index(batch_op.f('ix_card_lane_id'))
        batch_op.drop_index('ix_card_cell')
        batch_op.drop_index(batch_op.f('ix_card_author_participant_id'))

    op.drop_table('card')
    with op.batch_alter_table('plate_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plate_item_session_id'))

    op.drop_table('plate_item')
    with op.batch_alter_table('phase', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_phase_session_id'))

    op.drop_table('phase')
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participant_session_id'))

    op.drop_table('participant')
    with op.batch_alter_table('lane', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lane_session_id'))

    op.drop_table('lane')
    op.drop_table('board_event')
    with op.batch_alter_table('agenda_round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agenda_round_session_id'))

    op.drop_table('agenda_round')
    with op.batch_alter_table('workshop_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workshop_session_facilitator_id'))

    op.drop_table('workshop_session')
    with op.batch_alter_table('template', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_template_owner_id'))

    op.drop_table('template')
    with op.batch_alter_table('library_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_library_entry_owner_id'))
        batch_op.drop_index(batch_op.f('ix_library_entry_name'))

    op.drop_table('library_entry')
    op.drop_table('formula')
    op.drop_table('facilitator')
    op.drop_table('channel')
    
