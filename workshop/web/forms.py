from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from ..accounts import MIN_PASSWORD


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me logged in"))


class RegisterForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=MIN_PASSWORD, max=200)])
    confirm = PasswordField(_l("Repeat password"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))])


class CodeForm(FlaskForm):
    code = StringField(_l("Session code"), validators=[DataRequired(), Length(max=20)])


class JoinForm(FlaskForm):
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=60)])


class SessionForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    municipality = StringField(_l("Municipality"), validators=[Optional(), Length(max=120)])
    product = StringField(_l("Product or service under redesign"), validators=[Optional(), Length(max=200)])
    session_date = DateField(_l("Date"), validators=[Optional()])
    start = SelectField(_l("Start from"), validators=[DataRequired()])
    with_cards = BooleanField(_l("Include the formula's innovation cards"))


class ConfirmForm(FlaskForm):
    """A form with only a CSRF token, for buttons that change state."""
