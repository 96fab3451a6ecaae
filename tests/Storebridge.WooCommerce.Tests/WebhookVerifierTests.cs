using System.Text;
using Microsoft.AspNetCore.Http;
using Storebridge.WooCommerce.Webhooks;

namespace Storebridge.WooCommerce.Tests;

public sealed class WebhookVerifierTests
{
    private const string Secret = "whsec-test";
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"id":727,"status":"processing"}""");

    private static Dictionary<string, string> Headers(byte[] body, string? signature = null) => new(StringComparer.OrdinalIgnoreCase)
    {
        ["X-WC-Webhook-Source"] = "https://shop.example.com/",
        ["X-WC-Webhook-Topic"] = "order.updated",
        ["X-WC-Webhook-Resource"] = "order",
        ["X-WC-Webhook-Event"] = "updated",
        ["X-WC-Webhook-ID"] = "12",
        ["X-WC-Webhook-Delivery-ID"] = "d41d8cd98f00b204",
        ["X-WC-Webhook-Signature"] = signature ?? WooWebhookVerifier.ComputeSignature(body, Secret),
    };

    private static WebhookVerificationResult Verify(byte[] body, Dictionary<string, string> headers, string? contentType = "application/json", int max = WooWebhookVerifier.DefaultMaxBodyBytes) =>
        WooWebhookVerifier.Verify(body, contentType, name => headers.GetValueOrDefault(name), Secret, max);

    [Fact]
    public void Correctly_signed_delivery_is_accepted_with_its_headers()
    {
        var result = Verify(Body, Headers(Body), "application/json; charset=utf-8");

        Assert.Equal(WebhookOutcome.Accepted, result.Outcome);
        Assert.Equal(200, result.StatusCode);
        Assert.Equal(new WebhookHeaders("order.updated", "order", "updated", "12", "d41d8cd98f00b204", "https://shop.example.com/"), result.Headers);
        Assert.Equal(727, result.Payload!.Value.GetProperty("id").GetInt32());
    }

    [Fact]
    public void Signature_of_another_secret_is_rejected()
    {
        var headers = Headers(Body, WooWebhookVerifier.ComputeSignature(Body, "other-secret"));

        var result = Verify(Body, headers);

        Assert.Equal(WebhookRejection.BadSignature, result.Rejection);
        Assert.Equal(401, result.StatusCode);
    }

    [Fact]
    public void Body_changed_after_signing_is_rejected()
    {
        var headers = Headers(Body);
        var tampered = Encoding.UTF8.GetBytes("""{"id":727,"status":"completed"}""");

        Assert.Equal(WebhookRejection.BadSignature, Verify(tampered, headers).Rejection);
    }

    [Fact]
    public void Signature_that_is_not_base64_is_rejected()
    {
        Assert.Equal(WebhookRejection.BadSignature, Verify(Body, Headers(Body, "not base64!!")).Rejection);
    }

    [Fact]
    public void Missing_signature_is_rejected()
    {
        var headers = Headers(Body);
        headers.Remove("X-WC-Webhook-Signature");

        var result = Verify(Body, headers);

        Assert.Equal(WebhookOutcome.Rejected, result.Outcome);
        Assert.Equal(WebhookRejection.MissingSignature, result.Rejection);
    }

    [Fact]
    public void Truncated_json_with_a_valid_signature_is_rejected_as_malformed()
    {
        var truncated = Body[..15];

        var result = Verify(truncated, Headers(truncated));

        Assert.Equal(WebhookRejection.MalformedJson, result.Rejection);
        Assert.Equal(400, result.StatusCode);
    }

    [Fact]
    public void Wrong_content_type_is_rejected_before_the_signature_is_checked()
    {
        var result = Verify(Body, Headers(Body), "text/plain");

        Assert.Equal(WebhookRejection.WrongContentType, result.Rejection);
        Assert.Equal(415, result.StatusCode);
    }

    [Fact]
    public void Body_over_the_size_limit_is_rejected()
    {
        var big = Encoding.UTF8.GetBytes("{\"pad\":\"" + new string('x', 2000) + "\"}");

        var result = Verify(big, Headers(big), max: 1024);

        Assert.Equal(WebhookRejection.BodyTooLarge, result.Rejection);
        Assert.Equal(413, result.StatusCode);
    }

    [Fact]
    public void Form_encoded_ping_is_recognised_without_a_signature()
    {
        var ping = Encoding.UTF8.GetBytes("webhook_id=12");

        var result = Verify(ping, new Dictionary<string, string>(), "application/x-www-form-urlencoded");

        Assert.Equal(WebhookOutcome.Ping, result.Outcome);
        Assert.Equal(12, result.PingWebhookId);
        Assert.Equal(200, result.StatusCode);
    }

    [Fact]
    public void Form_body_that_is_not_a_ping_is_rejected()
    {
        var form = Encoding.UTF8.GetBytes("webhook_id=12&extra=1");

        var result = Verify(form, new Dictionary<string, string>(), "application/x-www-form-urlencoded");

        Assert.Equal(WebhookRejection.WrongContentType, result.Rejection);
    }

    [Fact]
    public async Task Http_request_over_the_limit_is_refused_without_reading_it_all()
    {
        var context = new DefaultHttpContext();
        var big = new byte[5000];
        context.Request.Body = new MemoryStream(big);
        context.Request.ContentType = "application/json";
        context.Request.ContentLength = big.Length;

        var result = await context.Request.ReadWooWebhookAsync(Secret, maxBodyBytes: 1000, TestContext.Current.CancellationToken);

        Assert.Equal(WebhookRejection.BodyTooLarge, result.Rejection);
    }

    [Fact]
    public async Task Http_request_with_a_good_signature_is_accepted()
    {
        var context = new DefaultHttpContext();
        context.Request.Body = new MemoryStream(Body);
        context.Request.ContentType = "application/json";
        foreach (var (name, value) in Headers(Body))
        {
            context.Request.Headers[name] = value;
        }

        var result = await context.Request.ReadWooWebhookAsync(Secret, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(WebhookOutcome.Accepted, result.Outcome);
        Assert.Equal("order.updated", result.Headers.Topic);
    }
}
