//! "Never ask twice": a new dossier may cite earlier results instead of copies; each citation is
//! checked to be well-formed, archived, issued to this applicant and still valid.

use super::{core::Service, error::Error};
use crate::{
    archive::Archive,
    flow::{self, ResultCode},
    proto::v1 as pb,
};

impl<A: Archive> Service<A> {
    /// Checks each cited result: well-formed, archived, issued to this applicant, still valid.
    pub(super) async fn check_citations(
        &self,
        codes: &[String],
        applicant_id: &str,
    ) -> Result<Vec<pb::CitedResult>, Error> {
        if codes.len() > self.limits.max_documents {
            return Err(Error::ResourceExhausted(format!(
                "{} results cited; at most {} are allowed per call",
                codes.len(),
                self.limits.max_documents
            )));
        }
        let mut cited = Vec::with_capacity(codes.len());
        for text in codes {
            let code: ResultCode = text
                .parse()
                .map_err(|e: flow::CodeError| Error::InvalidArgument(e.to_string()))?;
            let result = self
                .archive
                .result_by_code(&code.to_string())
                .await?
                .ok_or_else(|| Error::NotFound(format!("cited result {code} does not exist")))?;
            if result.applicant_id != applicant_id {
                return Err(Error::FailedPrecondition(format!(
                    "cited result {code} was issued to another applicant, not {applicant_id}"
                )));
            }
            if result.issued_at_ms.is_none() {
                return Err(Error::FailedPrecondition(format!(
                    "cited result {code} has not been issued yet"
                )));
            }
            match result.status.as_str() {
                "valid" => {}
                "superseded" => {
                    return Err(Error::FailedPrecondition(format!(
                        "cited result {code} was superseded by {}{}; cite that one instead",
                        result.superseded_by.as_deref().unwrap_or("another result"),
                        result
                            .status_reason
                            .as_deref()
                            .map(|r| format!(" ({r})"))
                            .unwrap_or_default()
                    )))
                }
                other => {
                    return Err(Error::FailedPrecondition(format!(
                        "cited result {code} is {other}{}",
                        result
                            .status_reason
                            .as_deref()
                            .map(|r| format!(": {r}"))
                            .unwrap_or_default()
                    )))
                }
            }
            if cited
                .iter()
                .any(|c: &pb::CitedResult| c.result_code == result.result_code)
            {
                return Err(Error::InvalidArgument(format!(
                    "result {code} is cited twice"
                )));
            }
            cited.push(pb::CitedResult {
                result_code: result.result_code,
                sha256: result.sha256,
                document_name: result.name,
            });
        }
        Ok(cited)
    }
}
