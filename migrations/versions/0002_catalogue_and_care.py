"""catalogue and care

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('available_times',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('time', sa.String(length=50), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_available_times'))
    )
    op.create_table('contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('phone', sa.String(length=11), nullable=False),
    sa.Column('massage', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts'))
    )
    op.create_table('designations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_designations')),
    sa.UniqueConstraint('slug', name=op.f('uq_designations_slug'))
    )
    op.create_table('services',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('image', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_services'))
    )
    op.create_table('specialisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_specialisations')),
    sa.UniqueConstraint('slug', name=op.f('uq_specialisations_slug'))
    )
    op.create_table('doctors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('fee', sa.Integer(), nullable=False),
    sa.Column('meet_link', sa.String(length=250), server_default='', nullable=False),
    sa.Column('profile', sa.String(length=255), nullable=True),
    sa.CheckConstraint('fee >= 0', name=op.f('ck_doctors_fee_not_negative')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_doctors_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_doctors')),
    sa.UniqueConstraint('user_id', name=op.f('uq_doctors_user_id'))
    )
    with op.batch_alter_table('doctors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_doctors_fee'), ['fee'], unique=False)

    op.create_table('appointments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('doctor_id', sa.Integer(), nullable=False),
    sa.Column('time_id', sa.Integer(), nullable=False),
    sa.Column('appointment_type', sa.Enum('Online', 'Offline', name='appointment_type', native_enum=False, create_constraint=True, length=10), nullable=False),
    sa.Column('status', sa.Enum('Pendding', 'Runing', 'Complated', name='appointment_status', native_enum=False, create_constraint=True, length=10), nullable=False),
    sa.Column('symptoms', sa.Text(), server_default='', nullable=False),
    sa.Column('cancelled', sa.Boolean(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['doctor_id'], ['doctors.id'], name=op.f('fk_appointments_doctor_id_doctors'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_appointments_patient_id_patients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['time_id'], ['available_times.id'], name=op.f('fk_appointments_time_id_available_times'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointments'))
    )
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.create_index('ix_appointments_doctor_id_id', ['doctor_id', 'id'], unique=False)
        batch_op.create_index('ix_appointments_patient_id_id', ['patient_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointments_time_id'), ['time_id'], unique=False)

    op.create_table('doctor_available_times',
    sa.Column('doctor_id', sa.Integer(), nullable=False),
    sa.Column('available_time_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['available_time_id'], ['available_times.id'], name=op.f('fk_doctor_available_times_available_time_id_available_times'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['doctor_id'], ['doctors.id'], name=op.f('fk_doctor_available_times_doctor_id_doctors'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('doctor_id', 'available_time_id', name=op.f('pk_doctor_available_times'))
    )
    with op.batch_alter_table('doctor_available_times', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_doctor_available_times_available_time_id'), ['available_time_id'], unique=False)

    op.create_table('doctor_designations',
    sa.Column('doctor_id', sa.Integer(), nullable=False),
    sa.Column('designation_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['designation_id'], ['designations.id'], name=op.f('fk_doctor_designations_designation_id_designations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['doctor_id'], ['doctors.id'], name=op.f('fk_doctor_designations_doctor_id_doctors'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('doctor_id', 'designation_id', name=op.f('pk_doctor_designations'))
    )
    with op.batch_alter_table('doctor_designations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_doctor_designations_designation_id'), ['designation_id'], unique=False)

    op.create_table('doctor_specialisations',
    sa.Column('doctor_id', sa.Integer(), nullable=False),
    sa.Column('specialisation_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['doctor_id'], ['doctors.id'], name=op.f('fk_doctor_specialisations_doctor_id_doctors'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['specialisation_id'], ['specialisations.id'], name=op.f('fk_doctor_specialisations_specialisation_id_specialisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('doctor_id', 'specialisation_id', name=op.f('pk_doctor_specialisations'))
    )
    with op.batch_alter_table('doctor_specialisations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_doctor_specialisations_specialisation_id'), ['specialisation_id'], unique=False)

    op.create_table('reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('doctor_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('rating', sa.SmallInteger(), nullable=False),
    sa.Column('created_on', sa.Date(), nullable=False),
    sa.CheckConstraint('rating BETWEEN 1 AND 5', name=op.f('ck_reviews_rating_range')),
    sa.ForeignKeyConstraint(['doctor_id'], ['doctors.id'], name=op.f('fk_reviews_doctor_id_doctors'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['patients.id'], name=op.f('fk_reviews_reviewer_id_patients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews')),
    sa.UniqueConstraint('reviewer_id', 'doctor_id', name='uq_reviews_reviewer_id_doctor_id')
    )
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reviews_doctor_id'), ['doctor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reviews_rating'), ['rating'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reviews_rating'))
        batch_op.drop_index(batch_op.f('ix_reviews_doctor_id'))

    op.drop_table('reviews')
    with op.batch_alter_table('doctor_specialisations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_doctor_specialisations_specialisation_id'))

    op.drop_table('doctor_specialisations')
    with op.batch_alter_table('doctor_designations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_doctor_designations_designation_id'))

    op.drop_table('doctor_designations')
    with op.batch_alter_table('doctor_available_times', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_doctor_available_times_available_time_id'))

    op.drop_table('doctor_available_times')
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointments_time_id'))
        batch_op.drop_index('ix_appointments_patient_id_id')
        batch_op.drop_index('ix_appointments_doctor_id_id')

    op.drop_table('appointments')
    with op.batch_alter_table('doctors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_doctors_fee'))

    op.drop_table('doctors')
    op.drop_table('specialisations')
    op.drop_table('services')
    op.drop_table('designations')
    op.drop_table('contacts')
    op.drop_table('available_times')
