using Storebridge.Contracts.Finance.V1;

namespace Storebridge.Erp.Tests;

public class FinanceTests
{
    private static Invoice Invoice(string customer, string sku, string externalRef) => new()
    {
        ExternalRef = externalRef,
        OrderRef = "store-1-4001",
        ErpCustomerId = customer,
        CurrencyCode = "USD",
        Lines = { new InvoiceLine { Sku = sku, Quantity = 2, UnitPrice = ErpTypes.Money(40m, "USD") } },
        Taxes = { new TaxAmount { RateCode = "US-CA-STATE TAX-1", RatePercent = "7.25", Amount = ErpTypes.Money(5.80m, "USD") } },
    };

    [Fact]
    public async Task Invoice_payment_and_credit_note_post_once_each_and_move_the_balance()
    {
        await using var h = await ErpHarness.StartAsync();
        var customer = h.GoodBusiness();
        var sku = h.StockedSku();
        var exposureBefore = (await h.Erp.GetCustomerAsync(customer, TestContext.Current.CancellationToken))!.Credit!.Exposure;

        var invoice = await h.Erp.PostInvoiceAsync(Invoice(customer, sku, "store-1-4001-invoice"), TestContext.Current.CancellationToken);
        var invoiceAgain = await h.Erp.PostInvoiceAsync(Invoice(customer, sku, "store-1-4001-invoice"), TestContext.Current.CancellationToken);
        var payment = new Payment { ExternalRef = "store-1-4001-payment", InvoiceId = invoice.Document.InvoiceId, Amount = ErpTypes.Money(50m, "USD"), Method = "stripe", TransactionId = "ch_123" };
        var paid = await h.Erp.PostPaymentAsync(payment, TestContext.Current.CancellationToken);
        var paidAgain = await h.Erp.PostPaymentAsync(payment, TestContext.Current.CancellationToken);
        var credit = new CreditNote
        {
            ExternalRef = "store-1-4001-return-1",
            AgainstInvoiceId = invoice.Document.InvoiceId,
            Reason = "Damaged in transit",
            Lines = { new InvoiceLine { Sku = sku, Quantity = 1, UnitPrice = ErpTypes.Money(40m, "USD") } },
            Taxes = { new TaxAmount { RateCode = "US-CA-STATE TAX-1", Amount = ErpTypes.Money(2.90m, "USD") } },
        };
        var credited = await h.Erp.PostCreditNoteAsync(credit, TestContext.Current.CancellationToken);
        var creditedAgain = await h.Erp.PostCreditNoteAsync(credit, TestContext.Current.CancellationToken);
        var exposureAfter = (await h.Erp.GetCustomerAsync(customer, TestContext.Current.CancellationToken))!.Credit!.Exposure;
        var stats = await h.StatsAsync();

        Assert.True(invoice.Created);
        Assert.False(invoiceAgain.Created);
        Assert.Equal(invoice.Document.InvoiceId, invoiceAgain.Document.InvoiceId);
        Assert.Equal("80.00", invoice.Document.NetTotal.Amount);
        Assert.Equal("5.80", invoice.Document.TaxTotal.Amount);
        Assert.Equal("85.80", invoice.Document.GrandTotal.Amount);
        Assert.True(paid.Created);
        Assert.False(paidAgain.Created);
        Assert.Equal(paid.Document.PaymentId, paidAgain.Document.PaymentId);
        Assert.True(credited.Created);
        Assert.False(creditedAgain.Created);
        Assert.Equal("42.90", credited.Document.GrandTotal.Amount);
        Assert.NotEqual(invoice.Document.InvoiceId, credited.Document.CreditNoteId);
        // 85.80 invoiced, 50.00 paid, 42.90 credited: 7.10 more owed to the customer than by them.
        Assert.Equal(exposureBefore - 7.10m, exposureAfter);
        Assert.Equal(2, ErpHarness.Count(stats, "POST /api/resource/Sales Invoice"));
        Assert.Equal(1, ErpHarness.Count(stats, "POST /api/resource/Payment Entry"));
    }

    [Fact]
    public async Task Invoice_for_an_order_marks_the_order_billed()
    {
        await using var h = await ErpHarness.StartAsync();
        var sku = h.StockedSku();
        var order = await h.Erp.CreateSalesOrderAsync(h.Order("store-1-4002", h.GoodBusiness(), sku, quantity: 2, price: 40m), TestContext.Current.CancellationToken);
        var invoice = Invoice("", sku, "store-1-4002-invoice");
        invoice.ErpSalesOrderId = order.Document.Id;
        invoice.Taxes.Clear();

        var posted = await h.Erp.PostInvoiceAsync(invoice, TestContext.Current.CancellationToken);
        var billed = await h.Erp.GetSalesOrderAsync(order.Document.Id, TestContext.Current.CancellationToken);

        Assert.Equal(h.GoodBusiness(), posted.Document.ErpCustomerId);
        Assert.Equal(100m, billed!.PercentBilled);
        Assert.Equal(SalesOrderStatus.ToDeliver, billed.Status);
    }

    [Fact]
    public async Task Payment_against_an_unknown_invoice_is_not_found_and_bad_amounts_are_refused()
    {
        await using var h = await ErpHarness.StartAsync();

        var error = await Assert.ThrowsAsync<ErpException>(() => h.Erp.PostPaymentAsync(
            new Payment { ExternalRef = "p-1", InvoiceId = "ACC-SINV-1999-00001", Amount = ErpTypes.Money(1m, "USD") }, TestContext.Current.CancellationToken));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => h.Erp.PostPaymentAsync(
            new Payment { ExternalRef = "p-2", InvoiceId = "ACC-SINV-1999-00001", Amount = ErpTypes.Money(-1m, "USD") }, TestContext.Current.CancellationToken));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => h.Erp.PostInvoiceAsync(new Invoice { ErpCustomerId = "CUST-00002" }, TestContext.Current.CancellationToken));

        Assert.Equal(ErpErrorKind.NotFound, error.Kind);
    }
}
