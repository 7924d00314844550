//! `RecordPayment`: the fee a dossier waits for (national status 6, *chờ thanh toán*) is paid —
//! cash at the desk, a bank transfer or a QR payment — and the receiving officer records it:
//! a signed record with the amount, the method and the reference, and a sealed fee receipt.
//! The dossier then moves on: to processing (a fee due at receipt) or to signing (a fee due
//! after approval).

use super::{
    answers::Receipt,
    audit::Call,
    commands::{PaymentCommand, PaymentMethod, StepCommand},
    core::Service,
    details::StepDetails,
    error::Error,
    fingerprint, input,
};
use crate::{
    access::{Caller, Permission},
    archive::Archive,
    flow::Step,
    proto::v1 as pb,
};

/// Longer than any bank's or payment platform's transaction reference.
const MAX_REFERENCE_CHARS: usize = 128;

fn method_to_proto(method: PaymentMethod) -> pb::PaymentMethod {
    match method {
        PaymentMethod::Cash => pb::PaymentMethod::Cash,
        PaymentMethod::BankTransfer => pb::PaymentMethod::BankTransfer,
        PaymentMethod::QrPayment => pb::PaymentMethod::QrPayment,
    }
}

/// The payment as the record will say it, checked on its own (the amount is checked against
/// the fee when the step is planned).
fn payment_of(command: &PaymentCommand) -> Result<pb::Payment, Error> {
    let method = command.method.ok_or_else(|| {
        Error::InvalidArgument("method is missing: cash, bank transfer or QR payment".to_owned())
    })?;
    if command.amount_vnd == 0 {
        return Err(Error::InvalidArgument("amount_vnd is zero".to_owned()));
    }
    let reference = command.reference.trim();
    if reference.chars().count() > MAX_REFERENCE_CHARS || reference.chars().any(|c| c.is_control())
    {
        return Err(Error::InvalidArgument(format!(
            "reference must be at most {MAX_REFERENCE_CHARS} printable characters"
        )));
    }
    if method != PaymentMethod::Cash && reference.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "a payment by {} needs its transaction reference",
            method.vietnamese()
        )));
    }
    Ok(pb::Payment {
        fee_name: String::new(),
        amount_vnd: command.amount_vnd,
        method: method_to_proto(method) as i32,
        reference: reference.to_owned(),
    })
}

impl<A: Archive> Service<A> {
    pub async fn record_payment(
        &self,
        caller: &Caller,
        command: PaymentCommand,
    ) -> Result<Receipt, Error> {
        let call = Call {
            request_id: &command.request_id,
            credential_id: &command.credential_id,
            dossier_code: &command.dossier_code,
            ..self.call(caller, "RecordPayment")
        };
        self.audited(&call, async {
            self.authorize(&call, Permission::Flow, &command.credential_id)
                .await?;
            input::check_request_id(&command.request_id)?;
            let fingerprint = fingerprint::payment(&command);
            if let Some(receipt) = self
                .replay(call.method, &command.request_id, &fingerprint)
                .await?
            {
                return Ok(receipt);
            }
            let details = StepDetails::Payment(payment_of(&command)?);
            let step = StepCommand {
                step: Step::RecordPayment,
                request_id: command.request_id.clone(),
                credential_id: command.credential_id.clone(),
                dossier_code: command.dossier_code.clone(),
                note: command.note.clone(),
                documents: Vec::new(),
            };
            self.step_inner(&call, &step, fingerprint, &details).await
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(method: Option<PaymentMethod>, reference: &str) -> PaymentCommand {
        PaymentCommand {
            amount_vnd: 50_000,
            method,
            reference: reference.to_owned(),
            ..PaymentCommand::default()
        }
    }

    #[test]
    fn payments_say_how_and_non_cash_ones_their_reference() {
        assert!(payment_of(&command(Some(PaymentMethod::Cash), "")).is_ok());
        assert!(matches!(
            payment_of(&command(None, "")),
            Err(Error::InvalidArgument(m)) if m.contains("method")
        ));
        assert!(matches!(
            payment_of(&command(Some(PaymentMethod::BankTransfer), " ")),
            Err(Error::InvalidArgument(m)) if m.contains("reference")
        ));
        assert!(matches!(
            payment_of(&command(Some(PaymentMethod::QrPayment), &"x".repeat(129))),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            payment_of(&command(Some(PaymentMethod::QrPayment), "a\nb")),
            Err(Error::InvalidArgument(_))
        ));
        let paid = payment_of(&command(Some(PaymentMethod::QrPayment), " FT26339 ")).unwrap();
        assert_eq!(paid.reference, "FT26339");
        assert_eq!(paid.method(), pb::PaymentMethod::QrPayment);
        let zero = PaymentCommand {
            amount_vnd: 0,
            ..command(Some(PaymentMethod::Cash), "")
        };
        assert!(payment_of(&zero).is_err());
    }
}
