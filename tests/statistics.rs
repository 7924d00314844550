//! Statistics as the centres report them (issue 16, docs/events.md "Statistics"), counted on a
//! fixture with known answers: real dossiers through the real service, on both backends, with
//! a clock the test moves across a reporting period (the service runs in-process for that: its
//! clock is the one thing a server process cannot be given).

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use ketqua::{
    access::Caller,
    archive::{Archive, PgArchive, SqliteArchive},
    cms::tsp::LocalTsa,
    flow::{Catalog, Channel, Step},
    ledger::LogKey,
    pki::KeyStore,
    service::{
        ApplicantInput, DocumentInput, ExtendCommand, Limits, Receipt, ReceiveCommand,
        ResultMetadata, Service, SignCommand, StatisticsInput, StatisticsView, StepCommand,
    },
};
use time::{Date, Duration, OffsetDateTime};

const RECEIVER: &str = "stp-receiver";
const APPRAISER: &str = "stp-appraiser";
const APPROVER: &str = "stp-approver";

/// The service with a clock the test sets.
struct Fixture<A> {
    service: Service<A>,
    now: Arc<Mutex<OffsetDateTime>>,
    caller: Caller,
    _dir: tempfile::TempDir,
}

impl<A: Archive> Fixture<A> {
    fn new(archive: A, dir: tempfile::TempDir) -> Fixture<A> {
        let keys = KeyStore::load(&dir.path().join("pki")).expect("the development PKI");
        let tsa = LocalTsa::from_key_store(&keys).expect("a TSA");
        let now = Arc::new(Mutex::new(OffsetDateTime::now_utc()));
        let clock = now.clone();
        let service = Service::new(
            archive,
            keys,
            Catalog::embedded_default(),
            Limits::default(),
            Arc::new(move || *clock.lock().unwrap()),
        )
        .with_timestamper(Arc::new(tsa));
        Fixture {
            service,
            now,
            caller: Caller::unrestricted("test"),
            _dir: dir,
        }
    }

    /// 10:00 in Vietnam on `day`.
    fn at(&self, day: Date) {
        let t = day
            .with_hms(10, 0, 0)
            .unwrap()
            .assume_offset(ketqua::flow::VIETNAM);
        *self.now.lock().unwrap() = t;
    }

    async fn receive(&self, day: Date, channel: Channel) -> Receipt {
        self.at(day);
        let command = ReceiveCommand {
            request_id: request_id("receive"),
            credential_id: RECEIVER.into(),
            procedure_code: JUDICIAL_RECORD.into(),
            applicant: ApplicantInput {
                id: "001099012345".into(),
                name: "Nguyễn Văn An".into(),
            },
            documents: vec![DocumentInput {
                name: "Tờ khai".into(),
                media_type: "application/pdf".into(),
                content: ketqua::pdf::text_document("To khai", &[&request_id("scan")]),
            }],
            channel: Some(channel),
            ..ReceiveCommand::default()
        };
        self.service
            .receive(&self.caller, command)
            .await
            .expect("receive")
    }

    async fn step(&self, day: Date, code: &str, step: Step, credential: &str) {
        self.at(day);
        let command = StepCommand {
            step,
            request_id: request_id("step"),
            credential_id: credential.into(),
            dossier_code: code.into(),
            note: "Ghi chú".into(),
            documents: Vec::new(),
        };
        self.service
            .step(&self.caller, command)
            .await
            .unwrap_or_else(|e| panic!("{step:?} of {code}: {e}"));
    }

    /// Appraise, approve, sign and return on `day`.
    async fn resolve(&self, day: Date, code: &str) {
        self.step(day, code, Step::Appraise, APPRAISER).await;
        self.step(day, code, Step::Approve, APPROVER).await;
        let sign = SignCommand {
            request_id: request_id("sign"),
            credential_id: APPROVER.into(),
            dossier_code: code.into(),
            note: String::new(),
            result: Some(DocumentInput {
                name: "Phiếu lý lịch tư pháp số 1".into(),
                media_type: "application/pdf".into(),
                content: ketqua::pdf::text_document("Phieu", &[code]),
            }),
            content: None,
            metadata: ResultMetadata::default(),
            more_results: Vec::new(),
        };
        self.service
            .sign(&self.caller, sign)
            .await
            .unwrap_or_else(|e| panic!("sign {code}: {e}"));
        self.step(day, code, Step::Return, RECEIVER).await;
    }

    async fn extend(&self, day: Date, code: &str, working_days: u32) {
        self.at(day);
        let command = ExtendCommand {
            request_id: request_id("extend"),
            credential_id: APPRAISER.into(),
            dossier_code: code.into(),
            reason: "Cần xác minh thêm".into(),
            new_due_date: String::new(),
            working_days,
            documents: Vec::new(),
        };
        self.service
            .extend(&self.caller, command)
            .await
            .expect("extend");
    }

    async fn statistics(&self, input: StatisticsInput) -> StatisticsView {
        self.service
            .statistics(&self.caller, &input)
            .await
            .expect("statistics")
    }
}

fn due(receipt: &Receipt) -> Date {
    Date::parse(
        &receipt.due_date,
        &time::format_description::well_known::Iso8601::DATE,
    )
    .unwrap()
}

/// The fixture: ten dossiers around a 31-day period starting 40 days from today (the
/// development credentials are valid from today on), each with a known place in the figures.
async fn period_with_known_answers<A: Archive>(fixture: Fixture<A>) {
    let f = &fixture;
    let today = OffsetDateTime::now_utc().date();
    let p = today + Duration::days(40);
    let e = p + Duration::days(30);
    let day = |offset: i64| p + Duration::days(offset);

    // B: received and returned before the period: not counted.
    let b = f.receive(day(-20), Channel::Desk).await;
    f.resolve(day(-15), &b.dossier_code.to_string()).await;
    // H: carried over, extended once it was overdue, still overdue at the end.
    let h = f.receive(day(-8), Channel::Desk).await;
    let h_code = h.dossier_code.to_string();
    // A: carried over, returned early in the period.
    let a = f.receive(day(-6), Channel::Desk).await;
    f.resolve(day(1), &a.dossier_code.to_string()).await;
    assert!(day(1) < due(&a));
    // C: new, online, returned on its due date.
    let c = f.receive(day(1), Channel::Online).await;
    // D: new, returned two days late.
    let d = f.receive(day(2), Channel::Desk).await;
    // E: new, by post, refused.
    let e_dossier = f.receive(day(3), Channel::Post).await;
    f.step(
        day(4),
        &e_dossier.dossier_code.to_string(),
        Step::Refuse,
        APPRAISER,
    )
    .await;
    // F: new, withdrawn.
    let fw = f.receive(day(4), Channel::Desk).await;
    f.step(
        day(5),
        &fw.dossier_code.to_string(),
        Step::Withdraw,
        RECEIVER,
    )
    .await;
    f.extend(due(&h) + Duration::days(1), &h_code, 2).await;
    f.resolve(due(&c), &c.dossier_code.to_string()).await;
    f.resolve(due(&d) + Duration::days(2), &d.dossier_code.to_string())
        .await;
    assert!(due(&d) + Duration::days(2) <= e);
    // G: new, online, in progress and on time at the end.
    let g = f.receive(day(20), Channel::Online).await;
    assert!(due(&g) > e);
    // J: new on the last day but one, returned after the period: in progress at its end.
    let j = f.receive(e - Duration::days(1), Channel::Desk).await;
    // I: received after the period.
    f.receive(e + Duration::days(2), Channel::Desk).await;
    f.resolve(e + Duration::days(3), &j.dossier_code.to_string())
        .await;
    f.at(e + Duration::days(5));

    let period = StatisticsInput {
        from: p.to_string(),
        to: e.to_string(),
        ..StatisticsInput::default()
    };
    let stats = f.statistics(period.clone()).await;
    let c = stats.counts;
    assert_eq!(stats.as_of, e);
    assert_eq!((c.carried_over, c.received_new), (2, 6), "{stats:?}");
    assert_eq!(stats.received(), 8);
    assert_eq!((c.received_online, c.received_by_post), (2, 1));
    assert_eq!(stats.received_at_desk(), 3);
    assert_eq!(
        (c.resolved_early, c.resolved_on_time, c.resolved_late),
        (1, 1, 1),
        "{stats:?}"
    );
    assert_eq!(c.electronic_results, 3);
    assert_eq!((c.refused, c.withdrawn, c.stopped), (1, 1, 0));
    assert_eq!(
        (c.in_progress_on_time, c.in_progress_overdue),
        (2, 1),
        "{stats:?}"
    );
    assert_eq!(c.extended, 1);
    let rate = stats.on_time_rate().unwrap();
    assert!((rate - 200.0 / 3.0).abs() < 1e-9, "{rate}");
    assert!((stats.online_share().unwrap() - 100.0 / 3.0).abs() < 1e-9);
    assert_eq!(stats.electronic_result_share(), Some(100.0));

    // The same period by department and by procedure; another department has nothing.
    let by_department = f
        .statistics(StatisticsInput {
            department: "stp".into(),
            ..period.clone()
        })
        .await;
    assert_eq!(by_department.counts, stats.counts);
    let by_procedure = f
        .statistics(StatisticsInput {
            procedure_code: JUDICIAL_RECORD.into(),
            ..period.clone()
        })
        .await;
    assert_eq!(by_procedure.counts, stats.counts);
    let elsewhere = f
        .statistics(StatisticsInput {
            department: "skhdt".into(),
            ..period.clone()
        })
        .await;
    assert_eq!(elsewhere.counts, Default::default());
    // The month before: B resolved, H and A received, nothing carried over.
    let before = f
        .statistics(StatisticsInput {
            from: (p - Duration::days(30)).to_string(),
            to: (p - Duration::days(1)).to_string(),
            ..StatisticsInput::default()
        })
        .await;
    assert_eq!(before.counts.received_new, 3);
    assert_eq!(before.counts.carried_over, 0);
    assert_eq!(before.resolved(), 1);
    assert_eq!(before.in_progress(), 2);

    // Bad periods are refused with the reason.
    for (from, to, reason) in [
        (e.to_string(), p.to_string(), "is after"),
        ("2026-13-01".to_owned(), e.to_string(), "not a date"),
        (
            (p - Duration::days(2000)).to_string(),
            e.to_string(),
            "at most",
        ),
    ] {
        let error = f
            .service
            .statistics(
                &f.caller,
                &StatisticsInput {
                    from,
                    to,
                    ..StatisticsInput::default()
                },
            )
            .await
            .expect_err(reason);
        assert!(error.to_string().contains(reason), "{error}");
    }
}

fn fixture_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    init_pki_without_activation(dir.path());
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_period_counts_as_the_centres_report_it_sqlite() {
    let dir = fixture_dir();
    let url = format!("sqlite://{}", dir.path().join("ketqua.db").display());
    let (key, _) = LogKey::generate("test.local/log").unwrap();
    let archive = SqliteArchive::open(&url)
        .await
        .unwrap()
        .with_log(Arc::new(key));
    period_with_known_answers(Fixture::new(archive, dir)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_period_counts_as_the_centres_report_it_postgres() {
    let Some(base) = postgres_base_url() else {
        return;
    };
    let database = TempDatabase::create(&base).await;
    let (key, _) = LogKey::generate("test.local/log").unwrap();
    let archive = PgArchive::open(&database.url)
        .await
        .unwrap()
        .with_log(Arc::new(key));
    period_with_known_answers(Fixture::new(archive, fixture_dir())).await;
    drop(database);
}

/// The page for leaders exists only where the deployment publishes it, and shows the same
/// figures as the RPC.
#[tokio::test]
async fn the_statistics_page_is_published_only_when_asked() {
    let unpublished = Server::start();
    let response = reqwest::get(format!("{}/thong-ke", unpublished.http))
        .await
        .unwrap();
    assert_eq!(response.status(), 404);

    let server = Server::start_with(&["--statistics-page"]);
    let mut client = server.dossiers().await;
    let mut online = receive_request(JUDICIAL_RECORD, RECEIVER);
    online.channel = ketqua::proto::v1::Channel::Online as i32;
    client.receive(online).await.unwrap();
    client
        .receive(receive_request(JUDICIAL_RECORD, RECEIVER))
        .await
        .unwrap();
    let page = reqwest::get(format!("{}/thong-ke?department=stp", server.http))
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Sở Tư pháp tỉnh Quảng Ninh"), "{html}");
    assert!(
        html.contains("<th scope=\"row\">Tiếp nhận mới trong kỳ</th><td>2</td>"),
        "{html}"
    );
    assert!(
        html.contains("<th scope=\"row\">Tỷ lệ trực tuyến</th><td>50.0%</td>"),
        "{html}"
    );
    let english = reqwest::get(format!("{}/thong-ke?lang=en", server.http))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(english.contains("<th scope=\"row\">Received in the period</th><td>2</td>"));
    let bad = reqwest::get(format!("{}/thong-ke?from=2026-99-01", server.http))
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("not a date"));
}
