from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.download_link import DownloadLink
from ...models.fit import Fit
from ...models.output_format import OutputFormat
from ...models.problem import Problem
from ...models.variant import Variant
from ...types import UNSET, Response, Unset


def _get_kwargs(
    image_id: str,
    *,
    variant: Variant | Unset = UNSET,
    w: int | None | Unset = UNSET,
    h: int | None | Unset = UNSET,
    fit: Fit | None | Unset = UNSET,
    format_: None | OutputFormat | Unset = UNSET,
    quality: int | None | Unset = UNSET,
    redirect: bool | Unset = True,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_variant: str | Unset = UNSET
    if not isinstance(variant, Unset):
        json_variant = variant.value

    params["variant"] = json_variant

    json_w: int | None | Unset
    if isinstance(w, Unset):
        json_w = UNSET
    else:
        json_w = w
    params["w"] = json_w

    json_h: int | None | Unset
    if isinstance(h, Unset):
        json_h = UNSET
    else:
        json_h = h
    params["h"] = json_h

    json_fit: None | str | Unset
    if isinstance(fit, Unset):
        json_fit = UNSET
    elif isinstance(fit, Fit):
        json_fit = fit.value
    else:
        json_fit = fit
    params["fit"] = json_fit

    json_format_: None | str | Unset
    if isinstance(format_, Unset):
        json_format_ = UNSET
    elif isinstance(format_, OutputFormat):
        json_format_ = format_.value
    else:
        json_format_ = format_
    params["format"] = json_format_

    json_quality: int | None | Unset
    if isinstance(quality, Unset):
        json_quality = UNSET
    else:
        json_quality = quality
    params["quality"] = json_quality

    params["redirect"] = redirect

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/images/{image_id}/download".format(
            image_id=quote(str(image_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Any | DownloadLink | Problem | None:
    if response.status_code == 200:
        response_200 = DownloadLink.from_dict(response.json())

        return response_200

    if response.status_code == 302:
        response_302 = cast(Any, None)
        return response_302

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = Problem.from_dict(response.json())

        return response_500

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Any | DownloadLink | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    image_id: str,
    *,
    client: AuthenticatedClient | Client,
    variant: Variant | Unset = UNSET,
    w: int | None | Unset = UNSET,
    h: int | None | Unset = UNSET,
    fit: Fit | None | Unset = UNSET,
    format_: None | OutputFormat | Unset = UNSET,
    quality: int | None | Unset = UNSET,
    redirect: bool | Unset = True,
) -> Response[Any | DownloadLink | Problem]:
    """Download a variant or an on-demand transform

    Args:
        image_id (str):
        variant (Variant | Unset):
        w (int | None | Unset):
        h (int | None | Unset):
        fit (Fit | None | Unset):
        format_ (None | OutputFormat | Unset):
        quality (int | None | Unset):
        redirect (bool | Unset):  Default: True.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | DownloadLink | Problem]
    """

    kwargs = _get_kwargs(
        image_id=image_id,
        variant=variant,
        w=w,
        h=h,
        fit=fit,
        format_=format_,
        quality=quality,
        redirect=redirect,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    image_id: str,
    *,
    client: AuthenticatedClient | Client,
    variant: Variant | Unset = UNSET,
    w: int | None | Unset = UNSET,
    h: int | None | Unset = UNSET,
    fit: Fit | None | Unset = UNSET,
    format_: None | OutputFormat | Unset = UNSET,
    quality: int | None | Unset = UNSET,
    redirect: bool | Unset = True,
) -> Any | DownloadLink | Problem | None:
    """Download a variant or an on-demand transform

    Args:
        image_id (str):
        variant (Variant | Unset):
        w (int | None | Unset):
        h (int | None | Unset):
        fit (Fit | None | Unset):
        format_ (None | OutputFormat | Unset):
        quality (int | None | Unset):
        redirect (bool | Unset):  Default: True.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | DownloadLink | Problem
    """

    return sync_detailed(
        image_id=image_id,
        client=client,
        variant=variant,
        w=w,
        h=h,
        fit=fit,
        format_=format_,
        quality=quality,
        redirect=redirect,
    ).parsed


async def asyncio_detailed(
    image_id: str,
    *,
    client: AuthenticatedClient | Client,
    variant: Variant | Unset = UNSET,
    w: int | None | Unset = UNSET,
    h: int | None | Unset = UNSET,
    fit: Fit | None | Unset = UNSET,
    format_: None | OutputFormat | Unset = UNSET,
    quality: int | None | Unset = UNSET,
    redirect: bool | Unset = True,
) -> Response[Any | DownloadLink | Problem]:
    """Download a variant or an on-demand transform

    Args:
        image_id (str):
        variant (Variant | Unset):
        w (int | None | Unset):
        h (int | None | Unset):
        fit (Fit | None | Unset):
        format_ (None | OutputFormat | Unset):
        quality (int | None | Unset):
        redirect (bool | Unset):  Default: True.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | DownloadLink | Problem]
    """

    kwargs = _get_kwargs(
        image_id=image_id,
        variant=variant,
        w=w,
        h=h,
        fit=fit,
        format_=format_,
        quality=quality,
        redirect=redirect,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    image_id: str,
    *,
    client: AuthenticatedClient | Client,
    variant: Variant | Unset = UNSET,
    w: int | None | Unset = UNSET,
    h: int | None | Unset = UNSET,
    fit: Fit | None | Unset = UNSET,
    format_: None | OutputFormat | Unset = UNSET,
    quality: int | None | Unset = UNSET,
    redirect: bool | Unset = True,
) -> Any | DownloadLink | Problem | None:
    """Download a variant or an on-demand transform

    Args:
        image_id (str):
        variant (Variant | Unset):
        w (int | None | Unset):
        h (int | None | Unset):
        fit (Fit | None | Unset):
        format_ (None | OutputFormat | Unset):
        quality (int | None | Unset):
        redirect (bool | Unset):  Default: True.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | DownloadLink | Problem
    """

    return (
        await asyncio_detailed(
            image_id=image_id,
            client=client,
            variant=variant,
            w=w,
            h=h,
            fit=fit,
            format_=format_,
            quality=quality,
            redirect=redirect,
        )
    ).parsed
