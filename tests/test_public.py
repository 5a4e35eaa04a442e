"""campaign/public.py: what every public endpoint goes through (rate limits, device cookie, CAPTCHA)
and campaign/uploads.prepare_photo (GPS and device EXIF removed from public photos, large photos scaled down)."""
from __future__ import annotations

import io
import os

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.storage import default_storage
from django.http import HttpResponse
from django.test import RequestFactory
from PIL import Image

from campaign import public
from campaign.uploads import PHOTO_MAX_EDGE, prepare_photo, store_upload
from tasks.models import Evidence


def _view(request):
    return HttpResponse("ok")


def _request(ip="203.0.113.7", cookies=None, method="post", **meta):
    rf = RequestFactory()
    request = getattr(rf, method)("/snaps/new/", REMOTE_ADDR=ip, **meta)
    request.COOKIES.update(cookies or {})
    return request


def _device_cookie(response) -> dict:
    return {public.DEVICE_COOKIE: response.cookies[public.DEVICE_COOKIE].value}


def test_a_public_endpoint_answers_without_a_login_and_is_marked_for_the_sweep():
    view = public.public_endpoint("t")(_view)
    assert public.is_public(view)
    assert view.login_required is False
    assert view(_request()).status_code == 200


def test_a_new_device_gets_a_signed_cookie_and_keeps_its_id():
    view = public.public_endpoint("t")(_view)
    first = view(_request())
    cookie = first.cookies[public.DEVICE_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    again = _request(cookies=_device_cookie(first))
    second = view(again)
    assert public.DEVICE_COOKIE not in second.cookies  # known device: nothing new to set
    assert public.device_id(again) and public.device_id(again) in cookie.value


def test_a_forged_device_cookie_counts_as_no_device():
    request = _request(cookies={public.DEVICE_COOKIE: "made-up-id:forged"})
    assert public.device_id(request) is None


def test_the_request_past_the_limit_gets_the_chinese_429_page(limits_on):
    limits_on.PUBLIC_RATES = {"t:ip": "3/d"}
    view = public.public_endpoint("t", per_ip="100/m")(_view)
    codes = [view(_request()).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = view(_request())
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "请求过于频繁" in refused.content.decode()
    # another address is counted apart
    assert view(_request(ip="198.51.100.9")).status_code == 200


def test_one_device_is_limited_across_addresses(limits_on):
    view = public.public_endpoint("t", per_ip="100/d", per_device="2/d")(_view)
    first = view(_request(ip="203.0.113.1"))
    cookies = _device_cookie(first)
    assert view(_request(ip="203.0.113.2", cookies=cookies)).status_code == 200
    assert view(_request(ip="203.0.113.3", cookies=cookies)).status_code == 429
    assert view(_request(ip="203.0.113.4")).status_code == 200  # a different device


@pytest.mark.skipif(not os.environ.get("REDIS_URL_FOR_TESTS"), reason="needs REDIS_URL_FOR_TESTS")
def test_the_redis_counter_increments_in_one_atomic_call_and_keeps_its_expiry(limits_on, monkeypatch):
    """campaign/redis_cache.py: what the limits count with in production (Redis)."""
    import secrets

    import redis
    from django.core.cache import cache

    prefix = f"t-{secrets.token_hex(4)}"
    limits_on.CACHES = {"default": {"BACKEND": "campaign.redis_cache.RedisCache",
                                    "LOCATION": os.environ["REDIS_URL_FOR_TESTS"], "KEY_PREFIX": prefix}}
    assert cache.add("n", 1, 60) and cache.incr("n") == 2
    sent = []
    real = redis.Redis.execute_command
    monkeypatch.setattr(redis.Redis, "execute_command", lambda self, *args, **kw: sent.append(args[0]) or real(self, *args, **kw))
    assert cache.incr("n", 3) == 5 and sent == ["EVAL"]  # Django's own sends EXISTS, then INCRBY
    monkeypatch.undo()
    raw = cache._cache.get_client(write=True)
    assert 0 < raw.ttl(cache.make_key("n")) <= 60  # still expires: INCRBY did not make a fresh key
    with pytest.raises(ValueError):
        cache.incr("missing")
    assert raw.exists(cache.make_key("missing")) == 0
    # The public limits count through it exactly as before.
    limits_on.PUBLIC_RATES = {"t:ip": "3/d"}
    view = public.public_endpoint("t", per_ip="100/m")(_view)
    assert [view(_request(ip="192.0.2.44")).status_code for _ in range(4)] == [200, 200, 200, 429]
    raw.delete(*raw.keys(f"{prefix}:*"))


def test_only_the_listed_methods_count(limits_on):
    view = public.public_endpoint("t", per_ip="1/d", methods=("POST",))(_view)
    assert [view(_request(method="get")).status_code for _ in range(3)] == [200, 200, 200]
    assert [view(_request()).status_code for _ in range(2)] == [200, 429]


def test_limits_are_off_when_ratelimit_is_disabled(settings):
    settings.RATELIMIT_ENABLE = False
    view = public.public_endpoint("t", per_ip="1/d")(_view)
    assert [view(_request()).status_code for _ in range(3)] == [200, 200, 200]


def test_x_real_ip_is_trusted_only_behind_the_declared_proxy_on_loopback(settings):
    settings.TRUSTED_PROXY = False
    assert public.client_ip(_request(ip="127.0.0.1", HTTP_X_REAL_IP="203.0.113.5")) == "127.0.0.1"
    settings.TRUSTED_PROXY = True
    assert public.client_ip(_request(ip="127.0.0.1", HTTP_X_REAL_IP="203.0.113.5")) == "203.0.113.5"
    # a client talking to gunicorn directly cannot pick its address
    assert public.client_ip(_request(ip="198.51.100.1", HTTP_X_REAL_IP="203.0.113.5")) == "198.51.100.1"
    assert public.client_ip(_request(ip="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")) == "127.0.0.1"


def test_an_ipv6_client_counts_by_its_64_network(limits_on):
    view = public.public_endpoint("t", per_ip="2/d")(_view)
    assert view(_request(ip="2001:db8:1:2::1")).status_code == 200
    assert view(_request(ip="2001:db8:1:2::ffff")).status_code == 200
    assert view(_request(ip="2001:db8:1:2:abcd::9")).status_code == 429
    assert view(_request(ip="2001:db8:1:3::1")).status_code == 200


class _CaptchaForm(forms.Form):
    captcha = public.CaptchaField()


@pytest.mark.django_db
def test_a_wrong_captcha_answer_is_refused_in_chinese():
    from captcha.models import CaptchaStore

    key = CaptchaStore.generate_key()
    form = _CaptchaForm(data={"captcha_0": key, "captcha_1": "wrong"})
    assert not form.is_valid()
    assert form.errors["captcha"] == ["验证码不正确，请重新输入。"]
    key2 = CaptchaStore.generate_key()
    answer = CaptchaStore.objects.get(hashkey=key2).response
    assert _CaptchaForm(data={"captcha_0": key2, "captcha_1": answer.upper()}).is_valid()
    # a challenge answers once: the same key again is refused
    assert not _CaptchaForm(data={"captcha_0": key2, "captcha_1": answer}).is_valid()


@pytest.mark.django_db
def test_the_captcha_image_is_served_to_anyone_from_our_own_origin(client):
    from captcha.models import CaptchaStore

    key = CaptchaStore.generate_key()
    response = client.get(f"/captcha/image/{key}/")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    Image.open(io.BytesIO(response.content)).verify()


def _jpeg_with_gps(width=40, height=20, orientation=6) -> bytes:
    img = Image.new("RGB", (width, height), (200, 30, 30))
    img.paste((20, 20, 220), (0, 0, width // 2, height))  # left half blue: shows where the image was turned
    exif = Image.Exif()
    exif[0x010F] = "HUAWEI"  # Make
    exif[0x0110] = "ELS-AN00"  # Model
    exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (28.0, 12.0, 30.0), 3: "E", 4: (112.0, 58.0, 10.0)})
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif, quality=95)
    return out.getvalue()


def test_the_test_photo_really_carries_gps_and_the_phone():
    with Image.open(io.BytesIO(_jpeg_with_gps())) as img:
        exif = img.getexif()
        assert exif[0x010F] == "HUAWEI" and exif.get_ifd(0x8825)[1] == "N"


def test_stripping_removes_gps_and_device_and_keeps_the_photo_upright():
    data = prepare_photo(_jpeg_with_gps(), strip_metadata=True)
    assert b"HUAWEI" not in data and b"ELS-AN00" not in data
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "JPEG"
        assert not img.getexif() and "exif" not in img.info
        # orientation 6 (turn 90° clockwise to view): the 40×20 picture is stored 20×40, blue half on top
        assert img.size == (20, 40)
        top, bottom = img.convert("RGB").getpixel((10, 5)), img.convert("RGB").getpixel((10, 35))
        assert top[2] > 150 and bottom[0] > 150


def test_stripping_a_png_drops_its_text_chunks():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "拍摄于 坡子街 28.2,112.9")
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, format="PNG", pnginfo=info)
    data = prepare_photo(out.getvalue(), strip_metadata=True)
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "PNG" and "Comment" not in img.info


@pytest.mark.django_db
def test_a_public_upload_is_stored_without_its_exif():
    upload = SimpleUploadedFile("IMG_2041.jpg", _jpeg_with_gps(), content_type="image/jpeg")
    stored = store_upload(Evidence(), upload, folder="test-public", images_only=True, strip_metadata=True, save=False)
    with default_storage.open(stored.file.name, "rb") as handle:
        data = handle.read()
    assert stored.size == len(data)
    with Image.open(io.BytesIO(data)) as img:
        assert not img.getexif() and img.size == (20, 40)


def _stored(upload_bytes: bytes, **options) -> tuple[bytes, object]:
    upload = SimpleUploadedFile("IMG_2042.jpg", upload_bytes, content_type="image/jpeg")
    stored = store_upload(Evidence(), upload, folder="test-public", images_only=True, save=False, **options)
    with default_storage.open(stored.file.name, "rb") as handle:
        data = handle.read()
    assert stored.size == len(data)
    return data, stored


def _upright_blue_on_top(img: Image.Image) -> bool:
    rgb = img.convert("RGB")
    top, bottom = rgb.getpixel((img.width // 2, img.height // 8)), rgb.getpixel((img.width // 2, img.height * 7 // 8))
    return top[2] > 150 and top[0] < 100 and bottom[0] > 150 and bottom[2] < 100


@pytest.mark.django_db
@pytest.mark.parametrize(("width", "height", "stored_size"), [
    (4000, 3000, (1500, 2000)),  # 12 MP: decoded at half size, already under the bound
    (3000, 2250, (1920, 2560)),  # 6.75 MP: resampled down to the bound
])
def test_a_large_public_photo_is_stored_scaled_down_upright_and_without_exif(width, height, stored_size):
    data, _ = _stored(_jpeg_with_gps(width, height), strip_metadata=True)
    assert b"HUAWEI" not in data and b"ELS-AN00" not in data
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "JPEG" and max(img.size) <= PHOTO_MAX_EDGE
        assert img.size == stored_size  # orientation 6: the landscape shot stands as a portrait
        assert not img.getexif() and "exif" not in img.info
        assert _upright_blue_on_top(img)


@pytest.mark.django_db
def test_a_large_inspector_photo_is_scaled_down_upright_and_keeps_its_exif_as_evidence():
    data, _ = _stored(_jpeg_with_gps(4000, 3000))  # images_only: every photo field, strip_metadata off
    with Image.open(io.BytesIO(data)) as img:
        assert img.size == (1500, 2000) and _upright_blue_on_top(img)
        exif = img.getexif()
        assert exif[0x010F] == "HUAWEI" and exif.get_ifd(0x8825)[1] == "N"  # where and with what it was taken
        assert 0x0112 not in exif  # the orientation is in the pixels now: a viewer must not turn it again


@pytest.mark.django_db
def test_a_small_inspector_photo_is_stored_as_it_came():
    original = _jpeg_with_gps(400, 300)
    data, _ = _stored(original)
    assert data == original


@pytest.mark.django_db
def test_a_public_upload_over_its_own_cap_is_refused_and_nothing_is_written():
    from django.core.exceptions import ValidationError

    before = set(default_storage.listdir("")[0]) if default_storage.exists("") else set()
    upload = SimpleUploadedFile("big.jpg", _jpeg_with_gps(400, 400), content_type="image/jpeg")
    with pytest.raises(ValidationError, match="超过"):
        store_upload(Evidence(), upload, folder="test-public-cap", images_only=True, strip_metadata=True,
                     max_bytes=1024, save=False)
    after = set(default_storage.listdir("")[0]) if default_storage.exists("") else set()
    assert "test-public-cap" not in after - before
