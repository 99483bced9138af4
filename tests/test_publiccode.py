"""The repository is publishable as public code: licence, publiccode.yml, security policy, changelog,
accessibility statement, all linked from the README."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parent.parent

# The required keys of the publiccode.yml standard, version 0.4 (schema.core), and their allowed values.
DEVELOPMENT_STATUS = {"concept", "development", "beta", "stable", "obsolete"}
SOFTWARE_TYPES = {"standalone/mobile", "standalone/iot", "standalone/desktop", "standalone/web",
                  "standalone/backend", "standalone/other", "addon", "library", "configurationFiles"}
MAINTENANCE_TYPES = {"internal", "contract", "community", "none"}
PLATFORMS = {"web", "windows", "mac", "linux", "ios", "android"}
CATEGORIES = set("""
accounting agile-project-management applicant-tracking application-development appointment-scheduling backup
billing-and-invoicing blog budgeting business-intelligence business-process-management cad call-center-management
cloud-management collaboration communications compliance-management contact-management content-management crm
customer-service-and-support data-analytics data-collection data-visualization digital-asset-management
digital-citizenship document-management donor-management e-commerce e-signature email-management email-marketing
employee-management enterprise-project-management enterprise-social-networking erp event-management
facility-management feedback-and-reviews-management financial-reporting fleet-management fund-accounting
geographic-information-systems grant-management graphic-design help-desk hr ide identity-management
instant-messaging inventory-management it-asset-management it-development it-management it-security
it-service-management knowledge-management learning-management-system marketing mind-mapping mobile-marketing
mobile-payment network-management office online-booking online-community payment-gateway payroll
predictive-analysis procurement productivity-suite project-collaboration project-management property-management
real-estate-management remote-support resource-management sales-management seo service-desk-management
social-media-management survey task-management taxes-management test-management time-management time-tracking
translation video-conferencing video-editing visitor-management voip warehouse-management web-collaboration
web-conferencing website-builder whistleblowing workflow-management""".split())


def _required(d: dict, key: str, kind):
    assert key in d, f"publiccode.yml: {key} is required"
    assert isinstance(d[key], kind), f"publiccode.yml: {key} must be {kind}"
    return d[key]


def test_publiccode_yml_has_the_schemas_required_fields_in_dutch_and_english():
    pc = yaml.safe_load((ROOT / "publiccode.yml").read_text(encoding="utf-8"))
    assert _required(pc, "publiccodeYmlVersion", str) == "0.4"
    _required(pc, "name", str)
    url = urlsplit(_required(pc, "url", str))
    assert url.scheme == "https" and url.netloc
    assert set(_required(pc, "platforms", list)) <= PLATFORMS
    categories = _required(pc, "categories", list)
    assert categories and set(categories) <= CATEGORIES, set(categories) - CATEGORIES
    assert _required(pc, "developmentStatus", str) in DEVELOPMENT_STATUS
    assert _required(pc, "softwareType", str) in SOFTWARE_TYPES
    date.fromisoformat(pc["releaseDate"])
    descriptions = _required(pc, "description", dict)
    assert {"nl", "en"} <= set(descriptions)
    for lang, d in descriptions.items():
        assert 1 <= len(_required(d, "shortDescription", str)) <= 150, lang
        assert 150 <= len(_required(d, "longDescription", str)) <= 10000, lang
        features = _required(d, "features", list)
        assert features and all(isinstance(f, str) and len(f) <= 100 for f in features), lang
    legal = _required(pc, "legal", dict)
    assert _required(legal, "license", str) == "EUPL-1.2"
    maintenance = _required(pc, "maintenance", dict)
    assert _required(maintenance, "type", str) in MAINTENANCE_TYPES
    if maintenance["type"] in ("internal", "community"):
        assert all(c.get("name") for c in _required(maintenance, "contacts", list))
    localisation = _required(pc, "localisation", dict)
    assert _required(localisation, "localisationReady", bool) is True
    from workshop.config import SETTINGS
    languages = next(s.default for s in SETTINGS if s.name == "LANGUAGES")
    assert set(_required(localisation, "availableLanguages", list)) == set(languages)
    version = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M).group(1)
    assert pc["softwareVersion"] == version


def test_licence_security_changelog_and_accessibility_statement_exist_and_the_readme_links_them():
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("EUROPEAN UNION PUBLIC LICENCE v. 1.2")
    assert 'license = "EUPL-1.2"' in (ROOT / "pyproject.toml").read_text()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in ("LICENSE", "publiccode.yml", "SECURITY.md", "CHANGELOG.md", "docs/toegankelijkheid.md"):
        assert (ROOT / path).is_file(), path
        assert f"]({path})" in readme, f"the README does not link {path}"
    statement = (ROOT / "docs" / "toegankelijkheid.md").read_text(encoding="utf-8")
    for topic in ("axe", "toetsenbord", "contrast", "WCAG-EM"):
        assert topic in statement, topic
    assert "0.1.0" in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
