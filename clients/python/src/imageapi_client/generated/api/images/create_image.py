from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.create_upload_request import CreateUploadRequest
from ...models.created_upload import CreatedUpload
from ...models.direct_upload_form import DirectUploadForm
from ...models.duplicate_image import DuplicateImage
from ...models.fit import Fit
from ...models.image_out import ImageOut
from ...models.import_from_url_request import ImportFromUrlRequest
from ...models.problem import Problem
from ...types import UNSET, File, Response, Unset


def _get_kwargs(
    *,
    body: CreateUploadRequest | ImportFromUrlRequest | File | DirectUploadForm | Unset = UNSET,
    title: str | Unset = UNSET,
    width: int | Unset = UNSET,
    height: int | Unset = UNSET,
    fit: Fit | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    params: dict[str, Any] = {}

    params["title"] = title

    params["width"] = width

    params["height"] = height

    json_fit: str | Unset = UNSET
    if not isinstance(fit, Unset):
        json_fit = fit.value

    params["fit"] = json_fit

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/images",
        "params": params,
    }

    if isinstance(body, CreateUploadRequest | ImportFromUrlRequest):
        if isinstance(body, CreateUploadRequest):
            _kwargs["json"] = body.to_dict()
        else:
            _kwargs["json"] = body.to_dict()

        headers["Content-Type"] = "application/json"
    if isinstance(body, File):
        _kwargs["content"] = body.payload
        headers["Content-Type"] = "application/octet-stream"
    if isinstance(body, DirectUploadForm):
        _kwargs["files"] = body.to_multipart()

        headers["Content-Type"] = "multipart/form-data; boundary=+++"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> CreatedUpload | DuplicateImage | ImageOut | Problem | None:
    if response.status_code == 200:

        def _parse_response_200(data: object) -> CreatedUpload | DuplicateImage | ImageOut:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_200_type_0 = CreatedUpload.from_dict(data)

                return response_200_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_200_type_1 = DuplicateImage.from_dict(data)

                return response_200_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            response_200_type_2 = ImageOut.from_dict(data)

            return response_200_type_2

        response_200 = _parse_response_200(response.json())

        return response_200

    if response.status_code == 201:

        def _parse_response_201(data: object) -> CreatedUpload | DuplicateImage | ImageOut:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_201_type_0 = CreatedUpload.from_dict(data)

                return response_201_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_201_type_1 = DuplicateImage.from_dict(data)

                return response_201_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            response_201_type_2 = ImageOut.from_dict(data)

            return response_201_type_2

        response_201 = _parse_response_201(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = Problem.from_dict(response.json())

        return response_500

    if response.status_code == 502:
        response_502 = Problem.from_dict(response.json())

        return response_502

    if response.status_code == 504:
        response_504 = Problem.from_dict(response.json())

        return response_504

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[CreatedUpload | DuplicateImage | ImageOut | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: CreateUploadRequest | ImportFromUrlRequest | File | DirectUploadForm | Unset = UNSET,
    title: str | Unset = UNSET,
    width: int | Unset = UNSET,
    height: int | Unset = UNSET,
    fit: Fit | Unset = UNSET,
) -> Response[CreatedUpload | DuplicateImage | ImageOut | Problem]:
    """Create an image

     JSON {title, content_type, size, sha256?, resize?} answers 201 with a presigned POST form (or 200
    {image, duplicate} when sha256 matches a ready image). JSON {title, source_url, resize?} imports
    from a URL. multipart/form-data (file, title, width?, height?, fit?) or an image/* body with ?title=
    uploads up to 4 MiB directly.

    Args:
        title (str | Unset):
        width (int | Unset):
        height (int | Unset):
        fit (Fit | Unset):
        body (CreateUploadRequest | ImportFromUrlRequest):
        body (File): the image, up to 4 MiB; sent as application/octet-stream or as its own
            image/* type
        body (DirectUploadForm):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CreatedUpload | DuplicateImage | ImageOut | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
        title=title,
        width=width,
        height=height,
        fit=fit,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: CreateUploadRequest | ImportFromUrlRequest | File | DirectUploadForm | Unset = UNSET,
    title: str | Unset = UNSET,
    width: int | Unset = UNSET,
    height: int | Unset = UNSET,
    fit: Fit | Unset = UNSET,
) -> CreatedUpload | DuplicateImage | ImageOut | Problem | None:
    """Create an image

     JSON {title, content_type, size, sha256?, resize?} answers 201 with a presigned POST form (or 200
    {image, duplicate} when sha256 matches a ready image). JSON {title, source_url, resize?} imports
    from a URL. multipart/form-data (file, title, width?, height?, fit?) or an image/* body with ?title=
    uploads up to 4 MiB directly.

    Args:
        title (str | Unset):
        width (int | Unset):
        height (int | Unset):
        fit (Fit | Unset):
        body (CreateUploadRequest | ImportFromUrlRequest):
        body (File): the image, up to 4 MiB; sent as application/octet-stream or as its own
            image/* type
        body (DirectUploadForm):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CreatedUpload | DuplicateImage | ImageOut | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
        title=title,
        width=width,
        height=height,
        fit=fit,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: CreateUploadRequest | ImportFromUrlRequest | File | DirectUploadForm | Unset = UNSET,
    title: str | Unset = UNSET,
    width: int | Unset = UNSET,
    height: int | Unset = UNSET,
    fit: Fit | Unset = UNSET,
) -> Response[CreatedUpload | DuplicateImage | ImageOut | Problem]:
    """Create an image

     JSON {title, content_type, size, sha256?, resize?} answers 201 with a presigned POST form (or 200
    {image, duplicate} when sha256 matches a ready image). JSON {title, source_url, resize?} imports
    from a URL. multipart/form-data (file, title, width?, height?, fit?) or an image/* body with ?title=
    uploads up to 4 MiB directly.

    Args:
        title (str | Unset):
        width (int | Unset):
        height (int | Unset):
        fit (Fit | Unset):
        body (CreateUploadRequest | ImportFromUrlRequest):
        body (File): the image, up to 4 MiB; sent as application/octet-stream or as its own
            image/* type
        body (DirectUploadForm):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CreatedUpload | DuplicateImage | ImageOut | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
        title=title,
        width=width,
        height=height,
        fit=fit,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: CreateUploadRequest | ImportFromUrlRequest | File | DirectUploadForm | Unset = UNSET,
    title: str | Unset = UNSET,
    width: int | Unset = UNSET,
    height: int | Unset = UNSET,
    fit: Fit | Unset = UNSET,
) -> CreatedUpload | DuplicateImage | ImageOut | Problem | None:
    """Create an image

     JSON {title, content_type, size, sha256?, resize?} answers 201 with a presigned POST form (or 200
    {image, duplicate} when sha256 matches a ready image). JSON {title, source_url, resize?} imports
    from a URL. multipart/form-data (file, title, width?, height?, fit?) or an image/* body with ?title=
    uploads up to 4 MiB directly.

    Args:
        title (str | Unset):
        width (int | Unset):
        height (int | Unset):
        fit (Fit | Unset):
        body (CreateUploadRequest | ImportFromUrlRequest):
        body (File): the image, up to 4 MiB; sent as application/octet-stream or as its own
            image/* type
        body (DirectUploadForm):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CreatedUpload | DuplicateImage | ImageOut | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            title=title,
            width=width,
            height=height,
            fit=fit,
        )
    ).parsed
