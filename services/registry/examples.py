"""The examples of the OpenAPI document: one story, the README's, told once (a Harbin bank
branch, its banking hall, a video system, a camera, the filing of HRB art. 15/16, a finding, an
inspection). Each schema shows its part; ids are the same wherever the same thing appears."""

from __future__ import annotations

from typing import Any

UNIT_ID = "3f2b8c1e-7a4d-4e5f-9b6a-1c2d3e4f5a60"
PLACE_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
SYSTEM_ID = "9b2f4d6e-1a3c-4b5d-8e7f-0a1b2c3d4e5f"
CAMERA_ID = "c56a4180-65aa-42ec-a945-5fd21dec0538"
NVR_ID = "e4d5c6b7-a8f9-4e0d-9c1b-2a3f4e5d6c7b"
FILING_ID = "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"
MATERIAL_ID = "519e2a17-8e33-4ebe-adbe-05332d9b5ec0"
FINDING_ID = "53741137-3800-4971-a036-a7763299c9f3"
INSPECTION_ID = "52b4b1fb-7457-4766-b41b-b7cb5db0feca"
NOTICE_ID = "068c542e-7b69-489f-b287-13f262b9cb25"
ENROLLMENT_TOKEN_ID = "87f1c33c-d86d-4ca8-8fac-a64a839a0104"
RULE_DOCUMENT_ID = "0b8f5e2a-3c41-4d6e-9f7a-8b2c1d0e4f53"
FIRM_ID = "ea96a72c-04f9-4770-91f8-0192f650b4b1"
PROJECT_ID = "182f1228-bc1b-463a-8a98-ad3243176efe"

# The smallest PDF the materials route accepts: one page, and its cross-reference table.
PDF = (
    "%PDF-1.4\n"
    "1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n"
    "2 0 obj <</Type/Pages/Kids[3 0 R]/Count 1>> endobj\n"
    "3 0 obj <</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>> endobj\n"
    "xref\n"
    "0 4\n"
    "0000000000 65535 f \n"
    "0000000009 00000 n \n"
    "0000000054 00000 n \n"
    "0000000105 00000 n \n"
    "trailer <</Size 4/Root 1 0 R>>\n"
    "startxref\n"
    "170\n"
    "%%EOF\n"
)

UNIT_CREATE: dict[str, Any] = {
    "name": "示例银行哈尔滨南岗支行",
    "uscc": "91350100M000100Y43",
    "address": "哈尔滨市南岗区红军街1号",
    "district": "南岗区",
    "is_business": True,
    "security_affiliation": "district",
    "affiliation_district": "南岗区",
    "jurisdiction": "harbin-2008",
}
UNIT_UPDATE: dict[str, Any] = {"address": "哈尔滨市南岗区红军街3号"}
UNIT_CLOSE: dict[str, Any] = {"reason": "支行撤并，营业网点停业", "closed_on": "2026-11-30"}
UNIT_READ: dict[str, Any] = {
    "id": UNIT_ID,
    **UNIT_CREATE,
    "filing_office": "哈尔滨市南岗区公安（分）局技防管理机构",
    "status": "active",
    "closed_on": None,
    "closed_reason": None,
    "created_at": "2026-11-02T01:08:12.455594Z",
    "updated_at": "2026-11-02T01:08:12.455594Z",
}

PLACE_CREATE: dict[str, Any] = {
    "name": "营业大厅",
    "category": "hrb-7-4",
    "location_type": "lobby",
    "tags": ["bank"],
}
PLACE_UPDATE: dict[str, Any] = {"description": "一楼营业大厅及现金区"}
PLACE_READ: dict[str, Any] = {
    "id": PLACE_ID,
    "unit_id": UNIT_ID,
    "name": "营业大厅",
    "kind": "site",
    "category": "hrb-7-4",
    "category_article": "HRB-2008 art. 7(4)",
    "vehicle_category": None,
    "location_type": "lobby",
    "description": None,
    "tags": ["bank"],
    "reclassify_from": None,
    "exemptions": [],
    "created_at": "2026-11-02T01:09:40.497062Z",
}

PLACE_EXEMPTION: dict[str, Any] = {
    "reason": "营业厅无独立出入口，出入口控制由所在大楼统一设置（经现场检查确认）",
}

PRODUCT = {
    "name": "网络摄像机",
    "model": "DS-2CD2T47G2-L",
    "certificate_no": "GA-2025-001",
    "test_report_no": None,
    "standard": "GB 50395-2007",
}
SYSTEM_CREATE: dict[str, Any] = {
    "name": "视频监控系统",
    "system_type": "video",
    "place_ids": [PLACE_ID],
    "acceptance_date": "2026-11-20",
    "networking": "connected",
    "products": [PRODUCT],
}
SYSTEM_UPDATE: dict[str, Any] = {"in_use": True, "installer_firm": "哈尔滨示例安防工程有限公司"}
SYSTEM_READ: dict[str, Any] = {
    "id": SYSTEM_ID,
    "unit_id": UNIT_ID,
    "name": "视频监控系统",
    "system_type": "video",
    "place_ids": [PLACE_ID],
    "completion_date": "2026-11-10",
    "acceptance_date": "2026-11-20",
    "design_review_date": None,
    "acceptance_police_notified": None,
    "in_use": True,
    "installer_firm": "哈尔滨示例安防工程有限公司",
    "networking": "connected",
    "products": [PRODUCT],
    "recording": {"mode": "continuous", "schedule": []},
    "changed_since_filing": False,
    "created_at": "2026-11-02T01:10:12.667906Z",
    "updated_at": "2026-11-20T06:00:00Z",
}

DEVICE_CREATE: dict[str, Any] = {
    "kind": "camera",
    "name": "营业大厅1号摄像机",
    "location_type": "lobby",
    "onvif_address": "http://10.20.1.31/onvif/device_service",
    "username": "admin",
    "password": "Cam-2026!",
    "serial_number": "DS-2CD2T47G2-L20231120AACH123456789",
    "manufacturer": "海康威视",
    "model": "DS-2CD2T47G2-L",
    "place_id": PLACE_ID,
    "system_id": SYSTEM_ID,
    "position_description": "营业大厅东北角吊顶",
    "latitude": 45.7563,
    "longitude": 126.6426,
}
DEVICE_UPDATE: dict[str, Any] = {"position_description": "营业大厅东南角立柱", "latitude": 45.7562}
DEVICE_READ: dict[str, Any] = {
    "id": CAMERA_ID,
    "unit_id": UNIT_ID,
    "district": "南岗区",
    **{k: v for k, v in DEVICE_CREATE.items() if k not in ("username", "password")},
    "has_credentials": True,
    "parent_id": None,
    "channel_no": None,
    "status": "online",
    "status_since": "2026-11-20T06:05:00Z",
    "last_heartbeat_at": None,
    "recording": None,
    "ptz_preset": None,
    "created_at": "2026-11-02T01:12:13.489101Z",
}

# The firm that built the video system (and, once the unit is under Kunming's rules, files each
# of its projects there: KMG art. 16).
FIRM_CREATE: dict[str, Any] = {
    "name": "哈尔滨示例安防工程有限公司",
    "uscc": "91230103MA1B2C3D81",
    "contact_person": "赵工",
    "contact_phone": "0451-86001234",
    "address": "哈尔滨市南岗区学府路10号",
}
FIRM_UPDATE: dict[str, Any] = {"contact_person": "钱工", "contact_phone": "13904510000"}
FIRM_READ: dict[str, Any] = {
    "id": FIRM_ID,
    **FIRM_CREATE,
    "created_at": "2026-11-02T01:05:00Z",
    "updated_at": "2026-11-02T01:05:00Z",
}
# A maintenance job (a recorder's disk replaced), after the unit moved to Kunming's rules.
PROJECT_CREATE: dict[str, Any] = {
    "system_id": SYSTEM_ID,
    "kind": "maintenance",
    "completion_date": "2026-12-03",
    "description": "更换硬盘录像机硬盘",
}
PROJECT_READ: dict[str, Any] = {
    "id": PROJECT_ID,
    "firm_id": FIRM_ID,
    "firm_name": FIRM_CREATE["name"],
    "firm_uscc": FIRM_CREATE["uscc"],
    "unit_id": UNIT_ID,
    "system_id": SYSTEM_ID,
    "kind": "maintenance",
    "completion_date": "2026-12-03",
    "district": "南岗区",
    "description": "更换硬盘录像机硬盘",
    "filed_by": "firm",
    "office": "昆明市南岗区公安（分）局技防管理机构",
    "due_date": "2026-12-13",
    "article": "KMG-2012 art. 16",
    "filing": {
        "id": "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
        "status": "filed",
        "filed_on": "2026-12-15",
        "days_late": 2,
    },
    "created_at": "2026-12-04T02:00:00Z",
}

MATERIAL_READ = {
    "id": MATERIAL_ID,
    "code": "filing_form",
    "name": "技防工程备案表",
    "filename": "备案表.pdf",
    "content_type": "application/pdf",
    "size_bytes": 15,
    "sha256": "14bcd090baf31edba64e9cbd8cdfc15f943344aa72cb3675ad8e91bfcbce03ad",
    "uploaded_at": "2026-11-21T02:00:12.908842Z",
}
FILING_CREATE: dict[str, Any] = {"system_ids": [SYSTEM_ID]}
# Submitted without the inspection report: the notice of HRB art. 16 para. 2.
FILING_READ: dict[str, Any] = {
    "id": FILING_ID,
    "unit_id": UNIT_ID,
    "kind": "initial",
    "status": "returned",
    "party": "unit",
    "project_id": None,
    "firm_id": None,
    "firm_name": None,
    "office": "哈尔滨市南岗区公安（分）局技防管理机构",
    "system_ids": [SYSTEM_ID],
    "due_date": "2026-12-20",
    "filed_on": None,
    "days_late": None,
    "submitted_at": "2026-11-21T02:05:00Z",
    "materials": [MATERIAL_READ],
    "precheck_missing": [],
    "notice": {
        "missing": [{"code": "layout_plan", "name": "技防工程布局图", "article": "HRB-2008 art. 15(3)"}],
        "items": ["布局图未标注摄像机位置"],
        "supplement_deadline": "2026-12-01",
        "article": "HRB-2008 art. 16 para. 2",
    },
    "receipt_number": None,
    "filed_at": None,
    "decided_at": "2026-11-21T06:30:00Z",
    "articles": ["HRB-2008 art. 14"],
}
FILING_RETURN: dict[str, Any] = {"missing_materials": ["layout_plan"], "items": ["布局图未标注摄像机位置"]}
FILING_DUE: dict[str, Any] = {
    "unit_id": UNIT_ID,
    "unit_name": "示例银行哈尔滨南岗支行",
    "district": "南岗区",
    "system_id": SYSTEM_ID,
    "system_name": "视频监控系统",
    "project_id": None,
    "liable": {
        "party": "unit",
        "firm_id": None,
        "name": "示例银行哈尔滨南岗支行",
        "uscc": "91350100M000100Y43",
    },
    "due_date": "2026-12-20",
    "overdue": False,
    "article": "HRB-2008 art. 14 para. 1",
}
RECEIPT = (
    "技防工程备案回执单\n回执编号: HRB-2008-BA-2026-000001\n"
    "备案单位: 示例银行哈尔滨南岗支行 (91350100M000100Y43)\n"
    "备案机关: 哈尔滨市南岗区公安（分）局技防管理机构\n备案日期: 2026-11-28\n"
    "备案系统: 视频监控系统 (视频安防监控系统)\n依据: HRB-2008 art. 16 para. 1\n"
)

FINDING_READ: dict[str, Any] = {
    "id": FINDING_ID,
    "unit_id": UNIT_ID,
    "rule": "mandated_system_missing",
    "subject_type": "place",
    "subject_id": PLACE_ID,
    "liable": {
        "party": "unit",
        "firm_id": None,
        "name": "示例银行哈尔滨南岗支行",
        "uscc": "91350100M000100Y43",
    },
    "articles": ["HRB-2008 art. 7(4)", "HRB-2008 art. 26"],
    "penalty": {"step": 1, "article": "HRB-2008 art. 26", "measure": "警告，责令限期整改", "fines": []},
    "detail": (
        "营业大厅 (mandated place hrb-7-4) has no "
        "入侵报警系统 (intrusion_alarm), 出入口控制系统 (access_control)"
    ),
    "status": "ordered",
    "detected_at": "2026-11-02T01:10:12.509738Z",
    "ordered_at": "2026-11-05T02:00:00Z",
    "rectification_deadline": "2026-12-05",
    "rectified_at": None,
    "escalated_at": None,
    "decided_at": None,
    "decided_by": None,
    "decision_reason": None,
}
# Under Kunming's rules: the maintenance job not filed in its 10 days is the firm's (KMG art. 16).
FINDING_READ_FIRM: dict[str, Any] = {
    **FINDING_READ,
    "id": "8f0e7d6c-5b4a-4392-8170-6f5e4d3c2b1a",
    "rule": "filing_missing",
    "subject_type": "project",
    "subject_id": PROJECT_ID,
    "liable": {"party": "firm", "firm_id": FIRM_ID, "name": FIRM_CREATE["name"], "uscc": FIRM_CREATE["uscc"]},
    "articles": ["KMG-2012 art. 16"],
    "penalty": None,
    "detail": (
        f"the maintenance project of {FIRM_CREATE['name']} ({FIRM_CREATE['uscc']}) on system '视频监控系统', "
        "completed 2026-12-03, was due to be filed by the firm with 昆明市南岗区公安（分）局技防管理机构 by "
        "2026-12-13 (KMG-2012 art. 16) and is not filed"
    ),
    "status": "open",
    "detected_at": "2026-12-14T00:00:05Z",
    "ordered_at": None,
    "rectification_deadline": None,
}
ORDER_REQUEST: dict[str, Any] = {"rectification_deadline": "2026-12-05"}
FINDING_DISMISS: dict[str, Any] = {"reason": "录像机硬盘故障更换，维修单位出具维修记录，非人为删除"}
RECOMPUTE_RESULT: dict[str, Any] = {
    "units": 1250,
    "opened": 12,
    "rectified": 30,
    "escalated": 2,
    "active": 418,
    "duration_ms": 2140.5,
}

INSPECTORS = [
    {"name": "王建国", "badge_number": "230103", "signed_at": "2026-11-25T10:30:00+08:00"},
    {"name": "李明", "badge_number": "230117", "signed_at": "2026-11-25T10:32:00+08:00"},
]
NOTICE_READ: dict[str, Any] = {
    "id": NOTICE_ID,
    "unit_id": UNIT_ID,
    "inspection_id": INSPECTION_ID,
    "items": ["营业大厅加装入侵报警系统"],
    "addressee": {"party": "unit", "name": None},
    "deadline": "2026-12-25",
    "status": "open",
    "recheck_inspection_id": None,
    "recheck_due": False,
    "article": "HRB-2008 art. 25",
}
# The branch's management rules (HRB art. 20(1)-(3)): which it has on file on 2026-11-25.
_RULES = [
    ("training", "技防系统操作人员、管理人员岗位技能和保密知识培训", "art. 20(1)"),
    ("inspection", "安全检查制度", "art. 20(2)"),
    ("maintenance", "维护保养制度", "art. 20(2)"),
    ("emergency", "应急处理制度", "art. 20(2)"),
    ("duty_monitoring", "值班监看制度", "art. 20(3)"),
    ("materials", "资料管理制度", "art. 20(3)"),
    ("use_registration", "图像信息使用登记制度", "art. 20(3)"),
]
_RULES_MISSING = ("materials", "use_registration")
_INADEQUATE_NOTE = "值班监看制度仅有标题，未规定值班时间、人员和交接要求"
RULE_DOCUMENT: dict[str, Any] = {
    "id": RULE_DOCUMENT_ID,
    "filename": "应急处理制度.pdf",
    "content_type": "application/pdf",
    "size_bytes": 15,
    "sha256": "14bcd090baf31edba64e9cbd8cdfc15f943344aa72cb3675ad8e91bfcbce03ad",
    "uploaded_at": "2026-11-18T03:20:00Z",
    "uploaded_by": "unit-admin-zhao",
    "superseded_at": None,
}
MANAGEMENT_RULE_READ: dict[str, Any] = {
    "kind": "emergency",
    "name": "应急处理制度",
    "article": "HRB-2008 art. 20(2)",
    "on_file": True,
    "document": RULE_DOCUMENT,
    "earlier_versions": [
        {
            **RULE_DOCUMENT,
            "id": "6d1c9a4b-2e7f-4a35-8c60-b9e3f2a1d784",
            "filename": "应急预案（2024版）.pdf",
            "size_bytes": 15,
            "uploaded_at": "2024-03-02T01:00:00Z",
            "superseded_at": "2026-11-18T03:20:00Z",
        }
    ],
}
MANAGEMENT_RULES_READ: dict[str, Any] = {
    "unit_id": UNIT_ID,
    "jurisdiction": "harbin-2008",
    "rules": [
        MANAGEMENT_RULE_READ
        if kind == "emergency"
        else {
            "kind": kind,
            "name": name,
            "article": f"HRB-2008 {article}",
            "on_file": kind not in _RULES_MISSING,
            "document": None
            if kind in _RULES_MISSING
            else {**RULE_DOCUMENT, "filename": f"{name}.pdf", "id": f"{RULE_DOCUMENT_ID[:-2]}{i:02d}"},
            "earlier_versions": [],
        }
        for i, (kind, name, article) in enumerate(_RULES)
    ],
    "missing": list(_RULES_MISSING),
}
INSPECTION_CREATE: dict[str, Any] = {
    "inspected_on": "2026-11-25",
    "result": "failed",
    "inspectors": INSPECTORS,
    "notes": "入侵报警系统未安装",
    "rectification": {"items": ["营业大厅加装入侵报警系统"], "deadline": "2026-12-25"},
    "management_rules_inadequate": [{"kind": "duty_monitoring", "note": _INADEQUATE_NOTE}],
}
INSPECTION_READ: dict[str, Any] = {
    "id": INSPECTION_ID,
    "unit_id": UNIT_ID,
    "system_id": SYSTEM_ID,
    "kind": "annual",
    "inspected_on": "2026-11-25",
    "result": "failed",
    "inspectors": INSPECTORS,
    "notes": "入侵报警系统未安装",
    "notice": NOTICE_READ,
    "management_rules": [
        {
            "kind": r["kind"],
            "name": r["name"],
            "article": r["article"],
            "status": "missing"
            if not r["on_file"]
            else "inadequate"
            if r["kind"] == "duty_monitoring"
            else "on_file",
            "document_id": r["document"]["id"] if r["document"] else None,
            "sha256": r["document"]["sha256"] if r["document"] else None,
            "note": _INADEQUATE_NOTE if r["kind"] == "duty_monitoring" else None,
        }
        for r in MANAGEMENT_RULES_READ["rules"]
    ],
    "articles": ["HRB-2008 art. 24"],
}
INSPECTION_DUE: dict[str, Any] = {
    "unit_id": UNIT_ID,
    "unit_name": "示例银行哈尔滨南岗支行",
    "district": "南岗区",
    "system_id": SYSTEM_ID,
    "system_name": "视频监控系统",
    "last_inspected_on": "2025-11-25",
    "due_date": "2026-12-31",
    "overdue": False,
    "article": "HRB-2008 art. 24",
    "platform_default": False,
}

ENROLLMENT_TOKEN_CREATE: dict[str, Any] = {"label": "营业部硬盘录像机", "ttl_s": 86400}
ENROLLMENT_TOKEN_ISSUED: dict[str, Any] = {
    "id": ENROLLMENT_TOKEN_ID,
    "unit_id": UNIT_ID,
    "token": "Ji-_1TFIz1P7_tCHrrdZ-oLDXRtt9C8nNOzcezB5vWk",
    "expires_at": "2026-11-03T01:20:00Z",
}
NVR_REGISTRATION: dict[str, Any] = {
    "enrollment_token": "Ji-_1TFIz1P7_tCHrrdZ-oLDXRtt9C8nNOzcezB5vWk",
    "name": "营业部硬盘录像机",
    "serial_number": "DS-7608NI-K220231105CCRR",
    "manufacturer": "海康威视",
    "model": "DS-7608NI-K2",
    "onvif_address": "http://10.20.1.10/onvif/device_service",
    "location_type": "server_room",
    "heartbeat_interval_s": 60,
    "channels": [
        {"channel_no": 1, "name": "营业大厅1号摄像机", "location_type": "lobby"},
        {"channel_no": 2, "name": "现金区摄像机", "location_type": "cash_room"},
    ],
}
NVR_REGISTERED: dict[str, Any] = {
    "device_id": NVR_ID,
    "unit_id": UNIT_ID,
    "channel_ids": {"1": CAMERA_ID, "2": "0e3b7f5a-2c4d-4f6e-8a9b-1c2d3e4f5a6b"},
    "heartbeat_interval_s": 60,
    "replaced": False,
    "replacement_articles": [],
}
HEARTBEAT: dict[str, Any] = {"serial_number": "DS-7608NI-K220231105CCRR"}
HEARTBEAT_ACK: dict[str, Any] = {"device_id": NVR_ID, "status": "online", "next_heartbeat_in_s": 60}

UNITS_CSV = (
    "name,uscc,address,district,is_business,security_affiliation,affiliation_district,jurisdiction\n"
    "示例银行哈尔滨南岗支行,91350100M000100Y43,哈尔滨市南岗区红军街1号,南岗区,true,district,南岗区,harbin-2008\n"
    "示例医院昆明五华分院,12530100MB0123457A,昆明市五华区人民中路2号,五华区,false,none,,kunming-2012\n"
)
IMPORT_REPORT: dict[str, Any] = {"kind": "units", "rows": 2, "imported": 2, "failed": 0, "errors": []}
# The same rows with a mistyped code in the second: the first is imported all the same.
IMPORT_REPORT_REFUSED: dict[str, Any] = {
    "kind": "units",
    "rows": 2,
    "imported": 1,
    "failed": 1,
    "errors": [
        {
            "row": 2,
            "field": "uscc",
            "rule": "uscc-checksum",
            "message": "the check character (the 18th) does not match",
        }
    ],
}

PACK_SUMMARY: dict[str, Any] = {
    "id": "harbin-2008",
    "city": "Harbin",
    "city_zh": "哈尔滨市",
    "citation_prefix": "HRB-2008",
    "regulation": {
        "title": "哈尔滨市公共安全技术防范管理办法",
        "issuer": "哈尔滨市人民政府令第187号",
        "in_force": "2008-07-10",
    },
}


def examples(*values: Any) -> dict[str, Any]:
    """A schema's ``json_schema_extra``: its examples."""
    return {"examples": list(values)}


CONFIDENTIAL_READ: dict[str, Any] = {
    "filing_id": FILING_ID,
    "material_id": "7d2f0c4e-8a1b-4e5f-9c3d-2b6a8e1f0d47",
    "code": "layout_plan",
    "reader": "tech-office-zhang",
    "roles": ["tech_office"],
    "read_at": "2026-11-21T03:15:00Z",
}

FORBIDDEN_PLACE_ADD: dict[str, Any] = {
    "reason": "机关内部办公室涉及工作秘密和个人隐私，比照哈尔滨市规定禁止安装"
}
FORBIDDEN_PLACE_ADDED: dict[str, Any] = {
    "jurisdiction": "kunming-2012",
    "location_type": "government_internal_office",
    "reason": FORBIDDEN_PLACE_ADD["reason"],
    "added_by": "tech-office-wang",
    "added_at": "2026-12-02T02:00:00Z",
    "article": "KMG-2012 art. 7",
}

MAINTENANCE_WINDOW_DECLARE: dict[str, Any] = {
    "device_ids": [CAMERA_ID],
    "starts_at": "2026-12-05T01:00:00Z",
    "ends_at": "2026-12-05T05:00:00Z",
    "reason": "更换营业大厅1号摄像机电源模块（维保单位：哈尔滨示例安防工程有限公司）",
}
MAINTENANCE_WINDOW_READ: dict[str, Any] = {
    "id": "5c1e7a2b-3d4f-4a6b-9c8d-7e6f5a4b3c2d",
    "unit_id": UNIT_ID,
    **MAINTENANCE_WINDOW_DECLARE,
    "declared_by": "unit-admin-li",
    "declared_at": "2026-12-02T02:00:00Z",
    "cancelled_at": None,
    "cancelled_by": None,
}
