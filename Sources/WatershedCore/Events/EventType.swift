/// The kind of an event in the log: a noun in the past tense (DESIGN.md "Identifiers and events").
///
/// The raw value is the name written in the event's canonical JSON (`"type":"TaskDispatched"`), so a
/// case may be added but never renamed: stored events and their hashes name it.
public enum EventType: String, Codable, CaseIterable, Sendable, Hashable {
    /// An initial report opened an incident (MEP Order No. 17 Art. 13–14).
    case incidentReported = "IncidentReported"
    /// The incident's severity level was set or changed.
    case levelSet = "LevelSet"
    /// A follow-up or final report was filed.
    case reportFiled = "ReportFiled"
    /// The planner produced a plan document for the incident.
    case planComputed = "PlanComputed"
    /// A response task was dispatched to a unit and duty position.
    case taskDispatched = "TaskDispatched"
    /// The assignee acknowledged a task.
    case taskAcknowledged = "TaskAcknowledged"
    /// Work on a task started.
    case taskStarted = "TaskStarted"
    /// A task was done.
    case taskDone = "TaskDone"
    /// The assignee declined a task.
    case taskDeclined = "TaskDeclined"
    /// A task was cancelled.
    case taskCancelled = "TaskCancelled"
    /// A task passed a deadline without the expected step.
    case taskOverdue = "TaskOverdue"
    /// A task was escalated to the next duty position.
    case taskEscalated = "TaskEscalated"
    /// A legal report obligation became due.
    case obligationDue = "ObligationDue"
    /// A legal report obligation was met.
    case obligationMet = "ObligationMet"
    /// A neighbouring province is to be, or was, notified.
    case peerNotified = "PeerNotified"
    /// A peer acknowledged receipt of a notification.
    case peerReceived = "PeerReceived"
    /// A peer accepted a notification.
    case peerAccepted = "PeerAccepted"
    /// Two incidents were linked.
    case incidentLinked = "IncidentLinked"
    /// The incident was closed (final report).
    case incidentClosed = "IncidentClosed"
    /// A drill (exercise) started on its own clock.
    case drillStarted = "DrillStarted"
    /// A drill inject was played.
    case drillInjected = "DrillInjected"
    /// A drill ended.
    case drillEnded = "DrillEnded"
    /// A task passed its last acknowledgement deadline after K escalation steps, or its top assignee declined it:
    /// nobody owns it (issue 4).
    case taskUnowned = "TaskUnowned"
    /// A task's latest start moved (a re-plan).
    case taskRescheduled = "TaskRescheduled"
    /// An event of a neighbouring province's incident, received over the peer link and stored once (issue 5).
    case peerEventReceived = "PeerEventReceived"
    /// A CAP 1.2 message from a peer was applied (`POST /v1/feeds/cap` on the peer port); the incident is the CAP
    /// thread's (its Alert's), and the payload is ``CAPReceivedPayload`` with the message as received.
    case capReceived = "CAPReceived"
    /// A peer's CAP `Update` or `Cancel` was held until the messages it references arrive; no incident, the payload
    /// is ``CAPHeldPayload`` (the store's `cap_held` row is its projection).
    case capHeld = "CAPHeld"
    /// A held CAP message was refused for good (its referents span several incidents, or it expired); no incident,
    /// the payload is ``CAPHeldRefusedPayload``.
    case capHeldRefused = "CAPHeldRefused"
    /// A held CAP message was dropped (by a commander, or as applied already); no incident, the payload is
    /// ``CAPHeldDroppedPayload``.
    case capHeldDropped = "CAPHeldDropped"
    /// The province forwarded a lower unit's report to a recipient (MEE, MEP Order No. 17 Art. 3); the payload is
    /// ``ReportForwardedPayload``.
    case reportForwarded = "ReportForwarded"
    /// A task's text message was taken by the SMS gateway (issue 19); the payload is ``TaskTextSent``.
    case taskTextSent = "TaskTextSent"
    /// A task's text message was reported delivered to the handset; the payload is ``TaskTextDelivered``.
    case taskTextDelivered = "TaskTextDelivered"
    /// A task's text message could not be sent or delivered; the payload is ``TaskTextFailed``.
    case taskTextFailed = "TaskTextFailed"
    /// A commander put a person of the duty rota on a position for a span (no incident); the payload is
    /// ``RotaOverriddenPayload``.
    case rotaOverridden = "RotaOverridden"
    /// A commander made a production token (no incident); the payload is ``TokenIssuedPayload``.
    case tokenIssued = "TokenIssued"
    /// An issued token was revoked (no incident); the payload is ``TokenRevokedPayload``.
    case tokenRevoked = "TokenRevoked"

    /// The event in Chinese, in the words the console gives it (`terms.zh` of `Console/i18n.js`): `派发任务`,
    /// `拒绝任务`, `收到 CAP 预警`. The after-action report's log and `watershed incident show --lang zh` say the
    /// same; ConsoleVocabularyTests holds the console to these words. Every type is named: a new one does not compile
    /// until it is.
    public var nameZh: String {
        switch self {
        case .incidentReported: "报告事件"
        case .levelSet: "确定级别"
        case .reportFiled: "提交报告"
        case .planComputed: "计算预案"
        case .taskDispatched: "派发任务"
        case .taskAcknowledged: "确认任务"
        case .taskStarted: "开始任务"
        case .taskDone: "完成任务"
        case .taskDeclined: "拒绝任务"
        case .taskCancelled: "取消任务"
        case .taskOverdue: "任务超时"
        case .taskEscalated: "任务升级"
        case .obligationDue: "报告到期"
        case .obligationMet: "已报送报告"
        case .peerNotified: "待通报相邻省份"
        case .peerReceived: "相邻省份已接收"
        case .peerAccepted: "相邻省份已接受"
        case .incidentLinked: "关联事件"
        case .incidentClosed: "事件结束"
        case .drillStarted: "演习开始"
        case .drillInjected: "演习注入"
        case .drillEnded: "演习结束"
        case .taskUnowned: "任务无人承办"
        case .taskRescheduled: "任务改期"
        case .peerEventReceived: "收到相邻省份事件"
        case .capReceived: "收到 CAP 预警"
        case .capHeld: "CAP 预警暂存"
        case .capHeldRefused: "CAP 预警暂存被拒"
        case .capHeldDropped: "CAP 预警暂存已丢弃"
        case .reportForwarded: "转报报告"
        case .taskTextSent: "已发短信"
        case .taskTextDelivered: "短信已送达"
        case .taskTextFailed: "短信发送失败"
        case .rotaOverridden: "调整值班"
        case .tokenIssued: "发放令牌"
        case .tokenRevoked: "吊销令牌"
        }
    }
}
