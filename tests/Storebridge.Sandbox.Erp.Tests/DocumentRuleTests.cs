using System.Net;
using System.Text.Json.Nodes;
using Storebridge.Sandbox.Seed;
using static Storebridge.Sandbox.Erp.Tests.SimulatorClient;

namespace Storebridge.Sandbox.Erp.Tests;

public class DocumentRuleTests
{
    private const string Newark = "Newark DC - SBD";

    /// <summary>A sellable, enabled SKU with at least <paramref name="minimum"/> on hand in Newark.</summary>
    internal static string StockedSku(SandboxData data, int minimum = 10) =>
        data.Stock.First(s => s.WarehouseId == Newark && s.OnHand >= minimum
            && data.Sellables.Single(x => x.Sku == s.Sku) is var x && !x.Item.Disabled && x.Variant?.Disabled != true).Sku;

    internal static string GoodBusiness(SandboxData data) =>
        data.Customers.First(c => c.Kind == SeedCustomerKind.Business && c.Currency == "USD" && c.AvailableCredit > 10_000m).Id;

    internal static string ExhaustedBusiness(SandboxData data) =>
        data.Customers.First(c => c.Kind == SeedCustomerKind.Business && c.AvailableCredit < c.CreditLimit * 0.1m).Id;

    [Fact]
    public async Task Submitting_a_sales_order_reserves_its_quantity_in_the_bin()
    {
        await using var erp = await StartAsync();
        var sku = StockedSku(erp.Data);
        var before = await erp.BinAsync(sku, Newark);

        var order = (await erp.OkAsync(HttpMethod.Post, Resource("Sales Order"), OrderBody(GoodBusiness(erp.Data), sku, 3, Newark)))["data"]!;
        var draftBin = await erp.BinAsync(sku, Newark);
        await erp.OkAsync(HttpMethod.Put, Resource("Sales Order", (string)order["name"]!), new { docstatus = 1, modified = (string)order["modified"]! });
        var after = await erp.BinAsync(sku, Newark);

        Assert.Equal((decimal)before["reserved_qty"]!, (decimal)draftBin["reserved_qty"]!);
        Assert.Equal((decimal)before["reserved_qty"]! + 3, (decimal)after["reserved_qty"]!);
        Assert.Equal((decimal)before["actual_qty"]!, (decimal)after["actual_qty"]!);
        Assert.Equal((decimal)before["projected_qty"]! - 3, (decimal)after["projected_qty"]!);
        Assert.NotEqual((string)before["modified"]!, (string)after["modified"]!);
    }

    [Fact]
    public async Task Shipping_a_sales_order_takes_stock_off_actual_and_reserved_and_completes_delivery()
    {
        await using var erp = await StartAsync();
        var sku = StockedSku(erp.Data);
        var before = await erp.BinAsync(sku, Newark);
        var order = (await erp.OkAsync(HttpMethod.Post, Resource("Sales Order"), OrderBody(GoodBusiness(erp.Data), sku, 4, Newark, docstatus: 1)))["data"]!;

        var note = (await erp.OkAsync(HttpMethod.Post, "__admin/ship", new { salesOrder = (string)order["name"]!, carrier = "DHL", trackingNumber = "JD0001" }))["data"]!;
        var after = await erp.BinAsync(sku, Newark);
        var shipped = await erp.GetDocAsync("Sales Order", (string)order["name"]!);

        Assert.Equal(1, (int)note["docstatus"]!);
        Assert.Equal("JD0001", (string)note["lr_no"]!);
        Assert.Equal("store-1-100", (string)note["po_no"]!);
        Assert.Equal((decimal)before["actual_qty"]! - 4, (decimal)after["actual_qty"]!);
        Assert.Equal((decimal)before["reserved_qty"]!, (decimal)after["reserved_qty"]!);
        Assert.Equal(100m, (decimal)shipped["per_delivered"]!);
        Assert.Equal("To Bill", (string)shipped["status"]!);
    }

    [Fact]
    public async Task Cancelling_a_sales_order_releases_its_reservation_and_a_delivered_one_cannot_be_cancelled()
    {
        await using var erp = await StartAsync();
        var sku = StockedSku(erp.Data);
        var customer = GoodBusiness(erp.Data);
        var before = await erp.BinAsync(sku, Newark);
        var order = (await erp.OkAsync(HttpMethod.Post, Resource("Sales Order"), OrderBody(customer, sku, 2, Newark, docstatus: 1)))["data"]!;

        await erp.OkAsync(HttpMethod.Post, "api/method/frappe.client.cancel", new { doctype = "Sales Order", name = (string)order["name"]! });
        var after = await erp.BinAsync(sku, Newark);
        var cancelled = await erp.GetDocAsync("Sales Order", (string)order["name"]!);

        Assert.Equal((decimal)before["reserved_qty"]!, (decimal)after["reserved_qty"]!);
        Assert.Equal(2, (int)cancelled["docstatus"]!);

        var shippedOrder = (await erp.OkAsync(HttpMethod.Post, Resource("Sales Order"), OrderBody(customer, sku, 1, Newark, docstatus: 1, poNo: "store-1-101")))["data"]!;
        await erp.OkAsync(HttpMethod.Post, "__admin/ship", new { salesOrder = (string)shippedOrder["name"]! });
        var (status, body) = await erp.SendAsync(HttpMethod.Post, "api/method/frappe.client.cancel", new { doctype = "Sales Order", name = (string)shippedOrder["name"]! });
        Assert.Equal(HttpStatusCode.ExpectationFailed, status);
        Assert.Equal("LinkExistsError", (string)body["exc_type"]!);
    }

    [Fact]
    public async Task Stock_entries_move_actual_quantity_and_refuse_negative_stock()
    {
        await using var erp = await StartAsync();
        var sku = StockedSku(erp.Data);
        var onHand = (decimal)(await erp.BinAsync(sku, Newark))["actual_qty"]!;

        var received = (await erp.OkAsync(HttpMethod.Post, "__admin/stock", new { sku, warehouse = Newark, delta = 7 }))["data"]!;
        var counted = (await erp.OkAsync(HttpMethod.Post, "__admin/stock", new { sku, warehouse = Newark, onHand = 2 }))["data"]!;
        var (status, body) = await erp.SendAsync(HttpMethod.Post, Resource("Stock Entry"), new
        {
            stock_entry_type = "Material Issue",
            docstatus = 1,
            items = new[] { new { item_code = sku, qty = 5, s_warehouse = Newark } },
        });

        Assert.Equal(onHand + 7, (decimal)received["actual_qty"]!);
        Assert.Equal(2m, (decimal)counted["actual_qty"]!);
        Assert.Equal(HttpStatusCode.ExpectationFailed, status);
        Assert.Equal("NegativeStockError", (string)body["exc_type"]!);
        Assert.Contains($"3 units of Item {sku} needed in Warehouse {Newark}", ServerMessages(body).Single(), StringComparison.Ordinal);
        Assert.Equal(2m, (decimal)(await erp.BinAsync(sku, Newark))["actual_qty"]!);
    }

    [Fact]
    public async Task Submitting_over_the_credit_limit_is_a_417_with_erpnext_messages_and_keeps_the_draft()
    {
        await using var erp = await StartAsync();
        var customer = ExhaustedBusiness(erp.Data);
        var order = (await erp.OkAsync(HttpMethod.Post, Resource("Sales Order"), OrderBody(customer, StockedSku(erp.Data), 10_000, Newark)))["data"]!;

        var (status, body) = await erp.SendAsync(HttpMethod.Put, Resource("Sales Order", (string)order["name"]!), new { docstatus = 1 });
        var draft = await erp.GetDocAsync("Sales Order", (string)order["name"]!);

        Assert.Equal(HttpStatusCode.ExpectationFailed, status);
        Assert.Equal("ValidationError", (string)body["exc_type"]!);
        Assert.StartsWith("frappe.exceptions.ValidationError: ", (string)body["exception"]!, StringComparison.Ordinal);
        var messages = ServerMessages(body);
        Assert.Equal(2, messages.Count);
        Assert.StartsWith($"Credit limit has been crossed for customer {customer} (", messages[0], StringComparison.Ordinal);
        Assert.Contains("extend the credit limits", messages[1], StringComparison.Ordinal);
        Assert.Equal(0, (int)draft["docstatus"]!);
    }

    [Fact]
    public async Task Inserting_a_submitted_order_over_the_limit_leaves_nothing_behind()
    {
        await using var erp = await StartAsync();
        var customer = ExhaustedBusiness(erp.Data);

        var (status, _) = await erp.SendAsync(HttpMethod.Post, Resource("Sales Order"), OrderBody(customer, StockedSku(erp.Data), 10_000, Newark, docstatus: 1, poNo: "store-1-900"));
        var list = await erp.OkAsync(HttpMethod.Get, Resource("Sales Order") + Query(("filters", new[] { new[] { "po_no", "=", "store-1-900" } })));

        Assert.Equal(HttpStatusCode.ExpectationFailed, status);
        Assert.Empty(list["data"]!.AsArray());
    }

    [Fact]
    public async Task Updating_with_a_stale_modified_is_a_timestamp_mismatch()
    {
        await using var erp = await StartAsync();
        var order = (await erp.OkAsync(HttpMethod.Post, Resource("Sales Order"), OrderBody(GoodBusiness(erp.Data), StockedSku(erp.Data), 1, Newark)))["data"]!;
        var name = (string)order["name"]!;
        var stale = (string)order["modified"]!;
        await erp.OkAsync(HttpMethod.Put, Resource("Sales Order", name), new { delivery_date = "2030-02-28", modified = stale });

        var (status, body) = await erp.SendAsync(HttpMethod.Put, Resource("Sales Order", name), new { docstatus = 1, modified = stale });

        Assert.Equal(HttpStatusCode.ExpectationFailed, status);
        Assert.Equal("TimestampMismatchError", (string)body["exc_type"]!);
        Assert.Contains("Document has been modified after you have opened it", ServerMessages(body).Single(), StringComparison.Ordinal);
        Assert.Equal(0, (int)(await erp.GetDocAsync("Sales Order", name))["docstatus"]!);
    }

    [Fact]
    public async Task Creating_an_item_that_exists_is_a_409_duplicate_entry()
    {
        await using var erp = await StartAsync();
        var existing = erp.Data.Items[0];

        var (status, body) = await erp.SendAsync(HttpMethod.Post, Resource("Item"), new { item_code = existing.Sku, item_group = existing.ItemGroup, stock_uom = "Nos" });

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal("DuplicateEntryError", (string)body["exc_type"]!);
        Assert.Equal($"Item {existing.Sku} already exists", ServerMessages(body).Single());
    }

    [Fact]
    public async Task Unknown_documents_and_doctypes_are_404_does_not_exist()
    {
        await using var erp = await StartAsync();

        var (docStatus, docBody) = await erp.SendAsync(HttpMethod.Get, Resource("Sales Order", "SAL-ORD-1999-00001"));
        var (typeStatus, typeBody) = await erp.SendAsync(HttpMethod.Get, Resource("Nonexistent Type"));

        Assert.Equal(HttpStatusCode.NotFound, docStatus);
        Assert.Equal("DoesNotExistError", (string)docBody["exc_type"]!);
        Assert.Equal("Sales Order SAL-ORD-1999-00001 not found", ServerMessages(docBody).Single());
        Assert.Equal(HttpStatusCode.NotFound, typeStatus);
        Assert.Equal("DoesNotExistError", (string)typeBody["exc_type"]!);
    }

    [Fact]
    public async Task Submitted_documents_cannot_be_edited_or_deleted()
    {
        await using var erp = await StartAsync();
        var order = (await erp.OkAsync(HttpMethod.Post, Resource("Sales Order"), OrderBody(GoodBusiness(erp.Data), StockedSku(erp.Data), 1, Newark, docstatus: 1)))["data"]!;
        var name = (string)order["name"]!;

        var (editStatus, editBody) = await erp.SendAsync(HttpMethod.Put, Resource("Sales Order", name), new { delivery_date = "2031-01-01" });
        var (deleteStatus, deleteBody) = await erp.SendAsync(HttpMethod.Delete, Resource("Sales Order", name));

        Assert.Equal(HttpStatusCode.ExpectationFailed, editStatus);
        Assert.Equal("UpdateAfterSubmitError", (string)editBody["exc_type"]!);
        Assert.Equal(HttpStatusCode.ExpectationFailed, deleteStatus);
        Assert.Contains("Submitted Record cannot be deleted", ServerMessages(deleteBody).Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Template_items_and_unknown_links_are_refused_with_clear_messages()
    {
        await using var erp = await StartAsync();
        var template = erp.Data.Items.First(i => i.HasVariants).Sku;

        var (templateStatus, templateBody) = await erp.SendAsync(HttpMethod.Post, Resource("Sales Order"), OrderBody(GoodBusiness(erp.Data), template, 1, Newark));
        var (customerStatus, customerBody) = await erp.SendAsync(HttpMethod.Post, Resource("Sales Order"), OrderBody("CUST-99999", StockedSku(erp.Data), 1, Newark));
        var (missingStatus, missingBody) = await erp.SendAsync(HttpMethod.Post, Resource("Sales Order"), new { customer = GoodBusiness(erp.Data), items = Array.Empty<object>() });

        Assert.Equal(HttpStatusCode.ExpectationFailed, templateStatus);
        Assert.Contains("is a template", ServerMessages(templateBody).Single(), StringComparison.Ordinal);
        Assert.Equal("LinkValidationError", (string)customerBody["exc_type"]!);
        Assert.Equal(HttpStatusCode.ExpectationFailed, customerStatus);
        Assert.Equal("Could not find Customer: CUST-99999", ServerMessages(customerBody).Single());
        Assert.Equal(HttpStatusCode.ExpectationFailed, missingStatus);
        Assert.Equal("MandatoryError", (string)missingBody["exc_type"]!);
    }

    [Fact]
    public async Task Payments_and_credit_notes_move_the_invoice_outstanding_amount()
    {
        await using var erp = await StartAsync();
        var customer = GoodBusiness(erp.Data);
        var sku = StockedSku(erp.Data);
        var invoice = (await erp.OkAsync(HttpMethod.Post, Resource("Sales Invoice"), new
        {
            customer,
            po_no = "store-1-100-invoice",
            docstatus = 1,
            items = new[] { new { item_code = sku, qty = 2, rate = 50m } },
            taxes = new[] { new { charge_type = "Actual", account_head = "Sales Tax - SBD", description = "CA", tax_amount = 7.25m } },
        }))["data"]!;
        var name = (string)invoice["name"]!;

        await erp.OkAsync(HttpMethod.Post, Resource("Payment Entry"), new
        {
            party = customer,
            paid_amount = 40m,
            reference_no = "pay-1",
            docstatus = 1,
            references = new[] { new { reference_doctype = "Sales Invoice", reference_name = name, allocated_amount = 40m } },
        });
        var afterPayment = await erp.GetDocAsync("Sales Invoice", name);
        await erp.OkAsync(HttpMethod.Post, Resource("Sales Invoice"), new
        {
            customer,
            is_return = 1,
            return_against = name,
            docstatus = 1,
            items = new[] { new { item_code = sku, qty = -1, rate = 50m } },
        });
        var afterReturn = await erp.GetDocAsync("Sales Invoice", name);
        var (overStatus, overBody) = await erp.SendAsync(HttpMethod.Post, Resource("Sales Invoice"), new
        {
            customer,
            is_return = 1,
            return_against = name,
            docstatus = 1,
            items = new[] { new { item_code = sku, qty = -2, rate = 50m } },
        });

        Assert.Equal(107.25m, (decimal)invoice["grand_total"]!);
        Assert.Equal(107.25m, (decimal)invoice["outstanding_amount"]!);
        Assert.Equal(67.25m, (decimal)afterPayment["outstanding_amount"]!);
        Assert.Equal("Partly Paid", (string)afterPayment["status"]!);
        Assert.Equal(17.25m, (decimal)afterReturn["outstanding_amount"]!);
        Assert.Equal(HttpStatusCode.ExpectationFailed, overStatus);
        Assert.Contains("Cannot return more than 1", ServerMessages(overBody).Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Seeded_bins_and_opening_exposure_match_the_shared_seed()
    {
        await using var erp = await StartAsync();
        var stock = erp.Data.Stock.First(s => s.OnHand > 0);
        var business = ExhaustedBusiness(erp.Data);

        var bin = await erp.BinAsync(stock.Sku, stock.WarehouseId);
        var exposure = await erp.OkAsync(HttpMethod.Get, $"__admin/customers/{business}/exposure");

        Assert.Equal(stock.OnHand, (decimal)bin["actual_qty"]!);
        Assert.Equal(erp.Data.Customers.Single(c => c.Id == business).OutstandingAmount, (decimal)exposure["exposure"]!);
    }
}
