using System.Text.RegularExpressions;
using OpenQA.Selenium;
using Wharf.Tests.Auth;
using Wharf.Tests.EndToEnd;
using Xunit.Abstractions;

namespace Wharf.Tests.Ui.Browser;

/// <summary>
/// The web UI in a real headless Chromium against the real server, on images skopeo pushed. Each
/// test starts a browser of its own (no cookies carried over) and saves a screenshot of what it
/// saw under the test output directory (ui-screenshots/). With WHARF_UI_DOCS_SCREENSHOTS=1 the
/// repository and image pages are also written to docs/, where README shows them.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed partial class UiBrowserTests(UiBrowserFixture site, ITestOutputHelper output) : IClassFixture<UiBrowserFixture>
{
    // README's screenshots must stay small enough to keep in the repository.
    private const long MaxScreenshotBytes = 300 * 1024;

    private void Screenshot(HeadlessChromium browser, string name, string? docsName = null)
    {
        var path = Path.Combine(UiBrowserFixture.ScreenshotDirectory, name + ".png");
        browser.SaveScreenshot(path);
        output.WriteLine($"screenshot: {path}");
        Assert.InRange(new FileInfo(path).Length, 1, MaxScreenshotBytes);
        if (docsName is not null && Environment.GetEnvironmentVariable("WHARF_UI_DOCS_SCREENSHOTS") == "1")
        {
            File.Copy(path, Path.Combine(RepositoryRoot.Find(), "docs", docsName), overwrite: true);
        }
    }

    private static void SignIn(HeadlessChromium browser, string user, string password)
    {
        browser.Find("#signin-open").Click();
        browser.Find("#username").SendKeys(user);
        browser.Find("#password").SendKeys(password);
        browser.Find("#signin-submit").Click();
        // Signing in draws the page again, for what the user may see.
        browser.Until(d => d.FindElement(By.CssSelector("#user")).Text == user);
        browser.WaitUntilReady();
    }

    private static List<string> FirstCells(HeadlessChromium browser, string table) =>
        [.. browser.FindAll($"{table} tbody tr").Select(row => row.FindElement(By.CssSelector("td")).Text.Trim())];

    private static IWebElement Row(HeadlessChromium browser, string table, string firstCell) =>
        browser.FindAll($"{table} tbody tr").Single(row => row.FindElement(By.CssSelector("td")).Text.Trim() == firstCell);

    [GeneratedRegex(@"^\d+(\.\d)? (B|kB|MB)$")]
    private static partial Regex HumanSize();

    [Fact]
    public void RepositoryList_Admin_ShowsThePushedRepositoriesAndFiltersThem()
    {
        using var browser = new HeadlessChromium();
        browser.Open(site.Page("/"));
        SignIn(browser, TestUsers.Bob, TestUsers.BobPassword);

        Assert.Equal(["public/base", "team/app", "team/multi", "team/tools"], FirstCells(browser, "table#repositories"));
        var app = Row(browser, "table#repositories", "team/app");
        Assert.Equal("/r/team/app", new Uri(app.FindElement(By.CssSelector("a")).GetAttribute("href")!).AbsolutePath);

        browser.Find("input#filter").SendKeys("multi");
        browser.Until(_ => FirstCells(browser, "table#repositories") is ["team/multi"]);
        browser.WaitUntilReady();
        Screenshot(browser, "repositories-filtered");
        Assert.Empty(browser.ScriptErrors());
    }

    [Fact]
    public void RepositoryPage_Admin_ListsTagsWithSizesAndAnIndexsPlatforms()
    {
        using var browser = new HeadlessChromium();
        browser.Open(site.Page("/r/team/app"));
        SignIn(browser, TestUsers.Bob, TestUsers.BobPassword);

        Assert.Contains("team/app", browser.Find("h1").Text, StringComparison.Ordinal);
        var tags = FirstCells(browser, "table#tags");
        Assert.Contains("v1", tags);
        Assert.Contains("sig", tags);
        foreach (var row in browser.FindAll("table#tags tbody tr"))
        {
            Assert.Matches(HumanSize(), row.FindElement(By.CssSelector(".size")).Text.Trim());
        }
        Assert.Equal("/r/team/app:v1", new Uri(Row(browser, "table#tags", "v1").FindElement(By.CssSelector("a")).GetAttribute("href")!).AbsolutePath);
        Screenshot(browser, "repository", docsName: "ui-repository.png");

        browser.Open(site.Page("/r/team/multi"));
        var platforms = Row(browser, "table#tags", "latest").FindElement(By.CssSelector(".platforms")).Text;
        Assert.Contains("linux/amd64", platforms, StringComparison.Ordinal);
        Assert.Contains("linux/arm64", platforms, StringComparison.Ordinal);
        Screenshot(browser, "repository-index");
        Assert.Empty(browser.ScriptErrors());
    }

    [Fact]
    public void ImagePage_Admin_ShowsLayersConfigHistoryAndTheReferrer()
    {
        using var browser = new HeadlessChromium();
        browser.Open(site.Page("/r/team/app:v1"));
        SignIn(browser, TestUsers.Bob, TestUsers.BobPassword);

        Assert.Contains("team/app:v1", browser.Find("h1").Text, StringComparison.Ordinal);
        Assert.Equal(site.App.Layers.Count, browser.FindAll("section#layers tbody tr").Count);
        Assert.Contains(site.App.Layers[0].Digest[..19], browser.Find("section#layers").Text, StringComparison.Ordinal);
        var config = browser.Find("section#config").Text;
        Assert.Contains("linux", config, StringComparison.Ordinal);
        Assert.Contains("amd64", config, StringComparison.Ordinal);
        Assert.Contains("/bin/sh", config, StringComparison.Ordinal);
        Assert.Contains("PATH=/usr/bin:/bin", config, StringComparison.Ordinal);
        Assert.Contains("wharf test image", config, StringComparison.Ordinal);
        var history = browser.Find("section#history").Text;
        Assert.Equal(site.App.Layers.Count + 1, browser.FindAll("section#history tbody tr").Count);
        Assert.Contains("COPY dir:layer0", history, StringComparison.Ordinal);
        var referrers = browser.Find("section#referrers");
        Assert.Contains(UiBrowserFixture.SignatureType, referrers.Text, StringComparison.Ordinal);
        Assert.Contains("release-bot", referrers.Text, StringComparison.Ordinal);
        Assert.Contains(referrers.FindElements(By.CssSelector("a")),
            a => new Uri(a.GetAttribute("href")!).AbsolutePath == $"/r/team/app@{site.Signature.Digest}");
        Screenshot(browser, "image", docsName: "ui-image.png");

        // The index's page links each platform to its own manifest.
        browser.Open(site.Page("/r/team/multi:latest"));
        var links = browser.FindAll("section#platforms tbody tr a").Select(a => new Uri(a.GetAttribute("href")!).AbsolutePath).ToList();
        Assert.Equal(site.Multi.Images.Select(i => $"/r/team/multi@{i.Manifest.Digest}"), links.Distinct());
        Screenshot(browser, "index");
        Assert.Empty(browser.ScriptErrors());
    }

    [Fact]
    public async Task Delete_ReadOnlyUserSeesNoDeleteAndAnAdminDeletesATagAfterConfirming()
    {
        using (var reader = new HeadlessChromium())
        {
            reader.Open(site.Page("/r/team/app"));
            SignIn(reader, TestUsers.Carol, TestUsers.CarolPassword);
            Assert.Contains("v1", FirstCells(reader, "table#tags"));
            Assert.Empty(reader.FindAll("button.delete"));
            reader.Open(site.Page("/r/team/app:v1"));
            Assert.Empty(reader.FindAll("button.delete"));
            Screenshot(reader, "image-read-only-user");
        }

        using var admin = new HeadlessChromium();
        admin.Open(site.Page("/r/team/app"));
        SignIn(admin, TestUsers.Bob, TestUsers.BobPassword);
        Row(admin, "table#tags", "to-delete").FindElement(By.CssSelector("button.delete")).Click();
        var confirm = admin.Until(d => d.FindElement(By.CssSelector("dialog#confirm")) is { Displayed: true } dialog ? dialog : null)!;
        Assert.Contains("to-delete", confirm.Text, StringComparison.Ordinal);
        Screenshot(admin, "delete-confirmation");
        admin.Find("#confirm-yes").Click();
        admin.Until(_ => !FirstCells(admin, "table#tags").Contains("to-delete"));
        admin.WaitUntilReady();

        Assert.False(await site.HasTagAsync("team/app", "to-delete"));
        Assert.True(await site.HasTagAsync("team/app", "v1"));
        Assert.Empty(admin.ScriptErrors());
    }

    [Fact]
    public void Anonymous_SeesOnlyPublicRepositoriesAndIsInvitedToSignInForOthers()
    {
        using var browser = new HeadlessChromium();
        browser.Open(site.Page("/"));

        Assert.Equal(["public/base"], FirstCells(browser, "table#repositories"));
        Assert.True(browser.Find("#signin-open").Displayed);
        Screenshot(browser, "repositories-anonymous");

        browser.Open(site.Page("/r/team/app"));
        Assert.True(browser.Find("#error").Displayed);
        Assert.Empty(browser.FindAll("table#tags tbody tr"));
        Assert.DoesNotContain("v1", browser.Find("main").Text, StringComparison.Ordinal);
        Screenshot(browser, "private-repository-anonymous");
        Assert.Empty(browser.ScriptErrors());
    }

    [Fact]
    public void PhoneWidthInDarkMode_PagesFitTheScreenWidth()
    {
        using var browser = new HeadlessChromium(width: 390, height: 844, dark: true);
        browser.Open(site.Page("/r/public/base:1.0"));

        Assert.Contains("public/base", browser.Find("h1").Text, StringComparison.Ordinal);
        // Wide tables scroll inside their own box; the page itself never scrolls sideways.
        var overflow = (long)((IJavaScriptExecutor)browser.Driver).ExecuteScript("return document.documentElement.scrollWidth - window.innerWidth")!;
        Assert.True(overflow <= 0, $"the page is {overflow} px wider than the window");
        var background = (string)((IJavaScriptExecutor)browser.Driver).ExecuteScript("return getComputedStyle(document.body).backgroundColor")!;
        Assert.NotEqual("rgb(255, 255, 255)", background);
        Screenshot(browser, "image-phone-dark");
        Assert.Empty(browser.ScriptErrors());
    }
}
