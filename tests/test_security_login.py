"""Login controls: lockout after repeated failures, unlock, password rules, periodic change."""
from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from campaign.models import AuditLog
from campaign.validators import character_classes

LOGIN = "/login/"
WRONG = "Wrong#Pass2026"


def attempt(client: Client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def fail_five_times(username: str = "official_a", ip: str = "10.1.2.3") -> Client:
    client = Client(REMOTE_ADDR=ip)
    for _ in range(5):
        attempt(client, username, WRONG)
    return client


def test_a_wrong_password_is_refused_with_a_chinese_message(world):
    response = attempt(Client(), "official_a", WRONG)
    assert response.status_code == 200
    assert not logged_in(Client())
    assert "请输入一个正确的" in response.content.decode()


def test_the_sixth_attempt_is_refused_even_with_the_right_password(world):
    client = fail_five_times()
    response = attempt(client, "official_a", world.password)
    assert response.status_code == 429
    assert "登录已锁定" in response.content.decode()
    assert "30 分钟后再试" in response.content.decode()
    assert not logged_in(client)


def test_four_failures_do_not_lock_the_account(world):
    client = Client(REMOTE_ADDR="10.1.2.3")
    for _ in range(4):
        attempt(client, "official_a", WRONG)
    response = attempt(client, "official_a", world.password)
    assert response.status_code == 302
    assert logged_in(client)


# ------------------------------------------------------------------ per (account, address) pair, with ceilings


def test_another_accounts_success_does_not_reset_the_failures_of_the_victim(world):
    """Issue 11's bypass: 4 wrong guesses at the victim, 1 good login of one's own, repeat."""
    attacker = "10.6.6.6"
    statuses = []
    for _ in range(4):
        for _ in range(4):
            statuses.append(attempt(Client(REMOTE_ADDR=attacker), "official_a", WRONG).status_code)
        own = Client(REMOTE_ADDR=attacker)
        assert attempt(own, "official_b", world.password).status_code == 302  # the attacker's own account
    # The 5th guess is the last one checked (it fails and locks); all later ones meet the lock.
    assert statuses == [200] * 4 + [429] * 12
    assert attempt(Client(REMOTE_ADDR=attacker), "official_a", world.password).status_code == 429
    assert AccessAttempt.objects.get(username="official_a", ip_address=attacker).failures_since_start >= 5


def test_one_persons_typos_behind_an_office_nat_do_not_lock_the_office(world):
    nat = "10.20.0.1"
    fail_five_times("official_a", ip=nat)
    # The colleague behind the same address, the admin too, sign in as usual.
    colleague = Client(REMOTE_ADDR=nat)
    assert attempt(colleague, "official_b", world.password).status_code == 302
    assert attempt(Client(REMOTE_ADDR=nat), "admin_test", world.password).status_code == 302
    # The pair that failed stays locked.
    assert attempt(Client(REMOTE_ADDR=nat), "official_a", world.password).status_code == 429
    lock = AuditLog.objects.filter(action="auth.lockout").earliest("at")
    assert lock.message == "连续登录失败次数过多，该账户在该地址的登录已锁定"
    assert lock.after["scope"] == "pair"


def test_the_locked_pair_does_not_lock_the_account_from_its_own_office(world):
    fail_five_times("official_a", ip="10.1.2.3")
    assert attempt(Client(REMOTE_ADDR="10.9.9.9"), "official_a", world.password).status_code == 302


def test_failures_from_many_addresses_lock_the_account_everywhere(world):
    # Credential stuffing: 4 guesses from each of 5 addresses (no pair reaches 5) = the ceiling of 20.
    statuses = []
    for host in range(1, 6):
        client = Client(REMOTE_ADDR=f"172.16.0.{host}")
        for _ in range(4):
            statuses.append(attempt(client, "official_a", WRONG).status_code)
    assert statuses == [200] * 19 + [429]  # the 20th failure reaches the ceiling
    response = attempt(Client(REMOTE_ADDR="192.168.9.9"), "official_a", world.password)
    assert response.status_code == 429
    assert "登录已锁定" in response.content.decode()
    assert not logged_in(Client(REMOTE_ADDR="192.168.9.9"))
    lock = AuditLog.objects.filter(action="auth.lockout").earliest("at")
    assert lock.message == "该账户从多个地址登录失败次数过多，账户已锁定"
    assert lock.after["scope"] == "account"
    # Other accounts are untouched, from those addresses too.
    assert attempt(Client(REMOTE_ADDR="172.16.0.1"), "official_b", world.password).status_code == 302


def test_nineteen_failures_from_many_addresses_stay_below_the_ceiling(world):
    for host in range(1, 5):
        client = Client(REMOTE_ADDR=f"172.16.0.{host}")
        for _ in range(4):
            attempt(client, "official_a", WRONG)
    client = Client(REMOTE_ADDR="172.16.0.5")
    for _ in range(3):
        attempt(client, "official_a", WRONG)
    assert attempt(Client(REMOTE_ADDR="192.168.9.9"), "official_a", world.password).status_code == 302


def test_hammering_a_locked_pair_never_reaches_a_ceiling(world):
    # Each pair counts at most the limit (5) towards the ceilings, however often it is retried.
    client = Client(REMOTE_ADDR="10.1.2.3")
    for _ in range(60):
        attempt(client, "official_a", WRONG)
    assert AccessAttempt.objects.get(username="official_a").failures_since_start > 50
    assert attempt(Client(REMOTE_ADDR="10.9.9.9"), "official_a", world.password).status_code == 302
    assert attempt(Client(REMOTE_ADDR="10.1.2.3"), "official_b", world.password).status_code == 302


def test_spraying_many_accounts_from_one_address_locks_the_address(world):
    sprayer = Client(REMOTE_ADDR="10.66.0.1")
    for n in range(13):  # 13 accounts × 4 guesses = 52 ≥ the address ceiling of 50
        for _ in range(4):
            attempt(sprayer, f"guess{n}", WRONG)
    assert attempt(Client(REMOTE_ADDR="10.66.0.1"), "official_b", world.password).status_code == 429
    assert AuditLog.objects.filter(action="auth.lockout", after__scope="address").exists()
    assert attempt(Client(REMOTE_ADDR="10.66.0.2"), "official_b", world.password).status_code == 302


def test_an_admin_lifts_an_account_wide_lock(world):
    for host in range(1, 6):
        client = Client(REMOTE_ADDR=f"172.16.0.{host}")
        for _ in range(4):
            attempt(client, "official_a", WRONG)
    assert attempt(Client(REMOTE_ADDR="192.168.9.9"), "official_a", world.password).status_code == 429
    from campaign.security import accounts_unlock

    assert accounts_unlock(usernames=["official_a"]) >= 5
    assert attempt(Client(REMOTE_ADDR="192.168.9.9"), "official_a", world.password).status_code == 302


@override_settings(LOGIN_ACCOUNT_FAILURE_CEILING=0, LOGIN_ADDRESS_FAILURE_CEILING=0)
def test_a_ceiling_of_zero_is_off(world):
    for host in range(1, 8):
        client = Client(REMOTE_ADDR=f"172.16.0.{host}")
        for _ in range(4):
            attempt(client, "official_a", WRONG)
    assert attempt(Client(REMOTE_ADDR="192.168.9.9"), "official_a", world.password).status_code == 302


def test_login_is_allowed_again_after_the_cool_off(world):
    client = fail_five_times()
    # Thirty-one minutes pass: move the recorded attempts back instead of the clock.
    AccessAttempt.objects.update(attempt_time=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    response = attempt(client, "official_a", world.password)
    assert response.status_code == 302
    assert logged_in(client)


def test_login_is_still_locked_29_minutes_later(world):
    client = fail_five_times()
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=29))
    assert attempt(client, "official_a", world.password).status_code == 429


def test_failures_logins_and_the_lock_are_audited_with_account_and_address(world):
    fail_five_times(ip="10.1.2.3")
    failed = AuditLog.objects.filter(action="auth.login_failed", actor_name="official_a")
    assert failed.count() == 5
    assert set(failed.values_list("ip_address", flat=True)) == {"10.1.2.3"}
    lock = AuditLog.objects.get(action="auth.lockout")
    assert lock.actor_name == "official_a"
    assert lock.ip_address == "10.1.2.3"
    ok = Client(REMOTE_ADDR="10.7.7.7")
    attempt(ok, "official_b", world.password)
    row = AuditLog.objects.get(action="auth.login")
    assert (row.actor, row.ip_address, row.message) == (world.official_b, "10.7.7.7", "登录成功")


def test_an_admin_unlocks_an_account_in_the_admin_and_the_unlock_is_audited(world):
    client = fail_five_times()
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    admin_client = Client()
    admin_client.force_login(world.admin)
    locked = AccessAttempt.objects.get(username="official_a")
    response = admin_client.post(reverse("admin:axes_accessattempt_delete", args=[locked.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert attempt(client, "official_a", world.password).status_code == 302
    unlock = AuditLog.objects.get(action="auth.unlock")
    assert unlock.actor == world.admin
    assert unlock.before["username"] == "official_a"


def test_the_lockout_limit_and_time_are_settings(settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME == dt.timedelta(minutes=30)
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_HANDLER == "campaign.security.LoginLockHandler"
    assert (settings.LOGIN_ACCOUNT_FAILURE_CEILING, settings.LOGIN_ADDRESS_FAILURE_CEILING) == (20, 50)
    assert settings.AUTHENTICATION_BACKENDS[0] == "campaign.security.AxesLoginBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


# ------------------------------------------------------------------ passwords


def test_character_classes_are_counted():
    assert character_classes("abc") == {"小写字母"}
    assert character_classes("Ab1#") == {"大写字母", "小写字母", "数字", "特殊符号"}


@pytest.mark.parametrize(
    "password, expected",
    [
        ("Ab1#xyz", "密码长度太短：至少需要 8 个字符"),  # 7 characters
        ("abcdefgh2", "缺少：大写字母、特殊符号"),  # two classes only
        ("Password1", "这个密码太常见了"),  # common, although 3 classes
        ("12345678", "密码只包含数字"),
    ],
)
def test_weak_passwords_are_refused_in_chinese(db, password, expected):
    with pytest.raises(ValidationError) as error:
        validate_password(password)
    assert any(expected in message for message in error.value.messages), error.value.messages


def test_a_password_like_the_username_is_refused(world):
    with pytest.raises(ValidationError) as error:
        validate_password("Official_a1", world.official_a)
    assert any("相似" in message for message in error.value.messages), error.value.messages


def test_a_strong_password_is_accepted(world):
    validate_password("Taihe#Chuangwen2026", world.official_a)  # no error
    validate_password("taihe2026wenming!", world.official_a)  # three classes are enough


# ------------------------------------------------------------------ periodic password change


def _age_password(user, days: int) -> None:
    past = timezone.now() - dt.timedelta(days=days)
    type(user).objects.filter(pk=user.pk).update(date_joined=past)
    AuditLog.objects.filter(action="auth.password_change", object_id=str(user.pk)).update(at=past)


def test_periodic_password_change_is_off_by_default(world, client_for):
    _age_password(world.official_a, 400)
    assert client_for(world.official_a).get("/").status_code == 200


@override_settings(PASSWORD_MAX_AGE_DAYS=90)
def test_an_old_password_must_be_changed_before_anything_else(world, client_for):
    _age_password(world.official_a, 91)
    client = client_for(world.official_a)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("campaign-password-change") + "?expired=1"
    page = client.get(response["Location"])
    assert "已超过规定的使用期限" in page.content.decode()
    changed = client.post(
        reverse("campaign-password-change"),
        {"old_password": world.password, "new_password1": "Taihe#Wenming2027", "new_password2": "Taihe#Wenming2027"},
    )
    assert changed.status_code == 302
    assert client.get("/").status_code == 200
    assert AuditLog.objects.filter(action="auth.password_change", object_id=str(world.official_a.pk), message="修改密码").exists()


@override_settings(PASSWORD_MAX_AGE_DAYS=90)
def test_a_password_changed_89_days_ago_is_still_fine(world, client_for):
    _age_password(world.official_a, 89)
    assert client_for(world.official_a).get("/").status_code == 200


def test_the_password_change_form_refuses_a_weak_password(world, client_for):
    client = client_for(world.official_a)
    response = client.post(
        reverse("campaign-password-change"),
        {"old_password": world.password, "new_password1": "abcdefgh", "new_password2": "abcdefgh"},
    )
    assert response.status_code == 200
    assert "密码过于简单" in response.content.decode()


def test_an_admin_unlocks_accounts_from_the_user_list(world):
    client = fail_five_times()
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    admin_client = Client()
    admin_client.force_login(world.admin)
    response = admin_client.post(
        reverse("admin:auth_user_changelist"), {"action": "unlock_logins", "_selected_action": [world.official_a.pk]}
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="official_a").exists()
    assert attempt(client, "official_a", world.password).status_code == 302
    assert AuditLog.objects.get(action="auth.unlock").actor == world.admin


@override_settings(AXES_FAILURE_LIMIT=3, AXES_COOLOFF_TIME=dt.timedelta(minutes=10))
def test_the_limit_and_the_lock_time_follow_the_settings(world):
    client = Client(REMOTE_ADDR="10.1.2.3")
    for _ in range(3):
        attempt(client, "official_a", WRONG)
    response = attempt(client, "official_a", world.password)
    assert response.status_code == 429
    assert "10 分钟后再试" in response.content.decode()


@pytest.mark.parametrize(
    "pair, account, address, expected",
    [
        (4, 19, 49, None),
        (5, 0, 0, "pair"),
        (4, 20, 0, "account"),
        (4, 19, 50, "address"),
        (5, 20, 50, "pair"),  # the narrowest lock is named first
    ],
)
def test_lock_reason_names_the_lock_that_applies(pair, account, address, expected):
    from campaign.security import lock_reason

    assert lock_reason(pair_failures=pair, account_failures=account, address_failures=address,
                       pair_limit=5, account_ceiling=20, address_ceiling=50) == expected


def test_a_ceiling_of_zero_never_locks():
    from campaign.security import lock_reason

    assert lock_reason(pair_failures=0, account_failures=500, address_failures=500,
                       pair_limit=5, account_ceiling=0, address_ceiling=0) is None


def test_capped_failures_counts_each_pair_at_most_the_limit(db):
    from campaign.security import capped_failures

    now = timezone.now()
    for ip, failures in (("10.0.0.1", 60), ("10.0.0.2", 3), ("10.0.0.3", 5)):
        AccessAttempt.objects.create(username="official_a", ip_address=ip, user_agent="ua", failures_since_start=failures,
                                     attempt_time=now, get_data="", post_data="", http_accept="", path_info="/login/")
    old = AccessAttempt.objects.create(username="official_b", ip_address="10.0.0.1", user_agent="ua", failures_since_start=2,
                                       attempt_time=now, get_data="", post_data="", http_accept="", path_info="/login/")
    AccessAttempt.objects.filter(pk=old.pk).update(attempt_time=now - dt.timedelta(hours=2))  # attempt_time is auto_now_add
    since = now - dt.timedelta(minutes=30)
    assert capped_failures(since=since, pair_limit=5, username="official_a") == 5 + 3 + 5
    assert capped_failures(since=since, pair_limit=5, ip_address="10.0.0.1") == 5  # official_b's row is too old
    assert capped_failures(since=now - dt.timedelta(hours=3), pair_limit=5, ip_address="10.0.0.1") == 7
