"""Contains all the data models used in inputs/outputs"""

from .analysis import Analysis
from .attempt_out import AttemptOut
from .compat_analysis import CompatAnalysis
from .compat_direct_upload_form import CompatDirectUploadForm
from .compat_image_id import CompatImageId
from .compat_image_list import CompatImageList
from .compat_url_import import CompatUrlImport
from .create_upload_request import CreateUploadRequest
from .create_upload_request_content_type import CreateUploadRequestContentType
from .created_upload import CreatedUpload
from .delivery_out import DeliveryOut
from .delivery_page import DeliveryPage
from .delivery_status import DeliveryStatus
from .dimensions import Dimensions
from .direct_upload_form import DirectUploadForm
from .dominant_color import DominantColor
from .download_link import DownloadLink
from .duplicate_image import DuplicateImage
from .embedded_rendition import EmbeddedRendition
from .embedded_renditions import EmbeddedRenditions
from .event_type import EventType
from .exif_summary import ExifSummary
from .field_error import FieldError
from .file_types import FileTypes
from .fit import Fit
from .health import Health
from .image_links import ImageLinks
from .image_out import ImageOut
from .image_page import ImagePage
from .image_patch import ImagePatch
from .image_status import ImageStatus
from .import_from_url_request import ImportFromUrlRequest
from .ocr_prediction_out import OcrPredictionOut
from .open_api_document import OpenApiDocument
from .orientation_prediction_out import OrientationPredictionOut
from .orientation_prediction_out_angle import OrientationPredictionOutAngle
from .output_format import OutputFormat
from .prediction_request import PredictionRequest
from .prediction_request_task import PredictionRequestTask
from .prediction_result import PredictionResult
from .prediction_result_task import PredictionResultTask
from .problem import Problem
from .public_limits import PublicLimits
from .rate_limits import RateLimits
from .recover_request import RecoverRequest
from .recovered import Recovered
from .resize_spec import ResizeSpec
from .srcset_entry import SrcsetEntry
from .upload_form import UploadForm
from .upload_form_fields import UploadFormFields
from .variant import Variant
from .webhook_in import WebhookIn
from .webhook_list import WebhookList
from .webhook_out import WebhookOut
from .webhook_patch import WebhookPatch
from .webhook_with_secret import WebhookWithSecret

__all__ = (
    "Analysis",
    "AttemptOut",
    "CompatAnalysis",
    "CompatDirectUploadForm",
    "CompatImageId",
    "CompatImageList",
    "CompatUrlImport",
    "CreateUploadRequest",
    "CreateUploadRequestContentType",
    "CreatedUpload",
    "DeliveryOut",
    "DeliveryPage",
    "DeliveryStatus",
    "Dimensions",
    "DirectUploadForm",
    "DominantColor",
    "DownloadLink",
    "DuplicateImage",
    "EmbeddedRendition",
    "EmbeddedRenditions",
    "EventType",
    "ExifSummary",
    "FieldError",
    "FileTypes",
    "Fit",
    "Health",
    "ImageLinks",
    "ImageOut",
    "ImagePage",
    "ImagePatch",
    "ImageStatus",
    "ImportFromUrlRequest",
    "OcrPredictionOut",
    "OpenApiDocument",
    "OrientationPredictionOut",
    "OrientationPredictionOutAngle",
    "OutputFormat",
    "PredictionRequest",
    "PredictionRequestTask",
    "PredictionResult",
    "PredictionResultTask",
    "Problem",
    "PublicLimits",
    "RateLimits",
    "RecoverRequest",
    "Recovered",
    "ResizeSpec",
    "SrcsetEntry",
    "UploadForm",
    "UploadFormFields",
    "Variant",
    "WebhookIn",
    "WebhookList",
    "WebhookOut",
    "WebhookPatch",
    "WebhookWithSecret",
)
