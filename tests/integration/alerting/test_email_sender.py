"""The email channel through SNS and SES on moto: subject and text body."""

import boto3
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from shared.notify.senders import EmailSender
from tests.integration.alerting.test_senders import NOTIFICATION


def test_email_via_ses_sends_subject_and_text_to_every_address():
    with mock_aws():
        # given
        ses = boto3.client("ses", region_name="us-east-1")
        ses.verify_email_identity(EmailAddress="alerts@example.com")
        sender = EmailSender(lambda: None, lambda: ses)
        channel = {
            "config": {"via": "ses", "fromAddress": "alerts@example.com", "toAddresses": ["a@example.com"]}
        }
        # when
        result = sender.send(channel, NOTIFICATION)
        # then
        assert result.delivered
        (message,) = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
        assert message.subject == "Web is unhealthy"
        assert "1 of 2 checks not healthy" in message.body and message.destinations["ToAddresses"] == [
            "a@example.com"
        ]


def test_email_via_sns_publishes_to_the_topic_and_a_refusal_is_a_retryable_failure():
    with mock_aws():
        # given
        sns = boto3.client("sns", region_name="us-east-1")
        topic = sns.create_topic(Name="oncall")["TopicArn"]
        sender = EmailSender(lambda: sns, lambda: None)
        # when
        sent = sender.send({"config": {"via": "sns", "topicArn": topic}}, NOTIFICATION)
        missing = sender.send({"config": {"via": "sns", "topicArn": topic + "-gone"}}, NOTIFICATION)
        # then
        assert sent.delivered
        assert not missing.delivered and missing.retryable and "NotFound" in missing.error
